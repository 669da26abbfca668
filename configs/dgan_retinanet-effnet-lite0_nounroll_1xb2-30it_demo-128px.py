# Ablation of the quick demo comparison: DetectorGAN without unrolling.
_base_ = './dgan_retinanet-effnet-lite0_1xb2-30it_demo-128px.py'
model = dict(loss_weights=dict(unroll=0.0))
