# Ablation on the demo data: DetectorGAN without unrolling (L_det^syn still
# reaches G_X). Same as dgan_retinanet-r18_nounroll_1xb4-2k_mini-mias.py.
_base_ = './dgan_retinanet-r18_1xb2-20it_demo.py'
model = dict(loss_weights=dict(unroll=0.0))
