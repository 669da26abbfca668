# Cross-validated comparison on your own converted dataset folder, the quick version of
# the demo's (docs/your-data.md): 2 folds x 1 detector seed, real-only against
# copy-paste and DetectorGAN, the 300-iteration detectors and 30 GAN iterations.
#   python tools/experiments/cross_validation.py configs/experiments/cv_custom-quick.py \
#       --cfg-options data_root=data/my-set/ data=my-set
# The detectors and the GAN read classes, channels and image size from the folder; the
# report adds per-class AP (from the folder's categories) to every unit's metrics.
_base_ = ['./_base_/cv.py']

data = 'custom-quick'  # name in the report and in every unit's fingerprint
data_root = 'data/custom/'
folds = 2
arms = ['real', 'copy-paste', 'dgan']
lc_arms = ['real', 'dgan']

det_config = 'configs/detector/retinanet_effnet-lite0_1xb4-300it_custom.py'
det_syn_config = 'configs/detector/retinanet_effnet-lite0_1xb4-300it_custom_real-syn.py'
real_epochs = 7

gan_configs = {'dgan': 'configs/dgan_retinanet-effnet-lite0_local-crop_1xb4-2k_custom.py'}
gan_iters = 30

# Seconds per step / process / image on one free core, for the plan (the demo's).
costs = dict(det_step=0.30, gan_step=1.70, gan_step_nounroll=0.76, gan_step_nodet=0.68,
             process=12, score_image=0.02, synth_image=0.05)

work_dir = 'work_dirs/cv/custom-quick'
results_dir = 'work_dirs/cv/custom-quick/results'
