# Ablation of the local-crop Lite0 DetectorGAN: the GAN without the detector
# (lambda det_syn = lambda unroll = 0); the detector still trains alongside but
# never reaches the generators.
_base_ = './dgan_retinanet-effnet-lite0_local-crop_1xb4-2k_mini-mias.py'
model = dict(loss_weights=dict(det_syn=0.0, unroll=0.0))
