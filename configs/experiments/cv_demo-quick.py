# Cross-validated comparison on the demo data, the ~20-minute smoke run:
# 2 folds x 1 detector seed x the five arms at 128 px (timing: results/README.md).
#   python tools/experiments/cross_validation.py configs/experiments/cv_demo-quick.py
_base_ = ['./_base_/cv.py']

data = 'demo-cv-quick'  # name in the report and in every unit's fingerprint
data_root = 'data/demo/'  # tools/make_demo_data.py --out data/demo
folds = 2

det_config = 'configs/detector/retinanet_effnet-lite0_1xb4-300it_demo-128px.py'
det_syn_config = 'configs/detector/retinanet_effnet-lite0_1xb4-300it_demo-128px_real-syn.py'
real_epochs = 7

gan_configs = {
    'dgan': 'configs/dgan_retinanet-effnet-lite0_1xb2-30it_demo-128px.py',
    'dgan-nounroll': 'configs/dgan_retinanet-effnet-lite0_nounroll_1xb2-30it_demo-128px.py',
    'gan-nodet': 'configs/dgan_retinanet-effnet-lite0_nodet_1xb2-30it_demo-128px.py'}

# Seconds per step / process / image on one free core, for the plan.
costs = dict(det_step=0.30, gan_step=1.70, gan_step_nounroll=0.76, gan_step_nodet=0.68,
             process=12, score_image=0.02, synth_image=0.05)

work_dir = 'work_dirs/cv/demo-cv-quick'
results_dir = 'results/demo-cv-quick'
