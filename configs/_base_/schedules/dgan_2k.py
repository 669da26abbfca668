# 2000 iterations; Adam for the GANs, SGD for the detector.
train_cfg = dict(type='IterBasedTrainLoop', max_iters=2000, val_interval=500)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

gan_adam = dict(type='Adam', lr=2e-4, betas=(0.5, 0.999))
optim_wrapper = dict(
    constructor='DetectorGANOptimWrapperConstructor',
    generators=dict(optimizer=gan_adam),
    discriminators=dict(optimizer=gan_adam),
    detector=dict(
        optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4),
        clip_grad=dict(max_norm=35, norm_type=2)))

# One list per optimizer group; the GANs keep a constant learning rate.
param_scheduler = dict(
    generators=[],
    discriminators=[],
    detector=[
        dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=100),
        dict(type='MultiStepLR', by_epoch=False, begin=0, end=2000, milestones=[1500],
             gamma=0.1)
    ])

