# Smoke run of local generation on the demo data (what it changes: see the
# mini-MIAS local-crop config): 20 iterations, batch 2, 256 px.
_base_ = ['./dgan_retinanet-r18_1xb2-20it_demo.py']

model = dict(local_crop=dict(crop_size=64, context=3.0, min_window=16),
             train_cfg=dict(pool_size=50),
             disc_global_x=dict(downsample=2), disc_global_y=dict(downsample=2))
