# Ablation of the local-crop Lite0 DetectorGAN without unrolling (L_det^syn
# still reaches G_X).
_base_ = './dgan_retinanet-effnet-lite0_local-crop_1xb4-2k_mini-mias.py'
model = dict(loss_weights=dict(unroll=0.0))
