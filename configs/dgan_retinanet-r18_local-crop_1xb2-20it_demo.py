# Smoke run of local generation on the demo data (see the mini-MIAS local-crop
# config for what it changes): 20 iterations, batch 2, 256 px.
_base_ = ['./dgan_retinanet-r18_1xb2-20it_demo.py']

local_gen = dict(_delete_=True, type='LocalCropInserter', generator={{_base_.gen}},
                 crop_size=64, context=3.0, min_window=16)
model = dict(
    generator_x=local_gen,
    generator_y=local_gen,
    disc_global_x=dict(downsample=2),
    disc_global_y=dict(downsample=2),
    pool_size=50)
