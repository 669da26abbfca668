# Ablation on the demo data: the GAN without the detector (lambda det_syn =
# lambda unroll = 0); the detector still trains alongside but never reaches the
# generators. Same as dgan_retinanet-effnet-lite0_nodet_1xb4-2k_mini-mias.py.
_base_ = './dgan_retinanet-effnet-lite0_1xb2-20it_demo.py'
model = dict(loss_weights=dict(det_syn=0.0, unroll=0.0))
