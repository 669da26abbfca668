# Ablation of the quick demo comparison: the GAN without the detector terms.
_base_ = './dgan_retinanet-r18_1xb2-30it_demo-128px.py'
model = dict(loss_weights=dict(det_syn=0.0, unroll=0.0))
