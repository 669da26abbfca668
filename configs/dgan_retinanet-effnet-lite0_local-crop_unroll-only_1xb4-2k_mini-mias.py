# The local-crop Lite0 DetectorGAN with the unrolled detector step as its only detector term:
# no L_det^syn, a virtual step of 0.002 and an unroll weight of 0.5 (inner_lr x weight = 1e-3).
# Why: docs/configs.md, "Why these settings".
_base_ = './dgan_retinanet-effnet-lite0_local-crop_1xb4-2k_mini-mias.py'

model = dict(loss_weights=dict(det_syn=0.0, unroll=0.5), unroll=dict(inner_lr=0.002))
