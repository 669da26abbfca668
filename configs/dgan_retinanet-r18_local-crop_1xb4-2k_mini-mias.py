# DetectorGAN on mini-MIAS with local generation (model.local_crop, any dgan config
# can set it): G_X and G_Y paint a window 3x the box (at least 16 px), resized to
# 64 px, and paste it back with the feathered composite; the local discriminator
# judges those windows, the global ones see the film at half resolution, and the
# detector in the loop sees whole films. The discriminators learn from a pool of
# the last 50 fakes (CycleGAN).
_base_ = ['./dgan_retinanet-r18_1xb4-2k_mini-mias.py']

model = dict(local_crop=dict(crop_size=64, context=3.0, min_window=16),
             train_cfg=dict(pool_size=50),
             disc_global_x=dict(downsample=2), disc_global_y=dict(downsample=2))
