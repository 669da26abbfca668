# DetectorGAN with the unrolled detector step as its only detector term: no L_det^syn
# (which rewards insertions the detector already finds easy) and a virtual step of
# 0.002 instead of 0.01 (at 0.01 even a step on real lesion films raises the real
# loss of a trained detector), the unroll weight raised so that inner_lr x weight
# stays 1e-3. Why: results/mini-mias/gan_diag/README.md, fifth and sixth rounds.
_base_ = './dgan_retinanet-effnet-lite0_local-crop_1xb4-2k_mini-mias.py'

model = dict(loss_weights=dict(det_syn=0.0), unroll=dict(inner_lr=0.002, weight=0.5))
