# Stage 2 of two-stage GAN training on mini-MIAS without the unroll (L_det^syn still reaches
# G_X): the ablation of the stage-2 DetectorGAN, started from the same stage-1 checkpoint.
_base_ = './dgan_retinanet-effnet-lite0_local-crop_stage2_1xb4-300it_mini-mias.py'
model = dict(loss_weights=dict(unroll=0.0))
