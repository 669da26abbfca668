# 2000 GAN iterations with a pretrained detector in the loop: the detector fine-tunes
# with the downstream schedule's SGD lr 0.0025 and only a 20-iteration warm-up (the
# from-scratch schedule spent its first 100 iterations warming up, i.e. most of a
# short GAN run with a detector that had barely started).
_base_ = ['./dgan_2k.py']

optim_wrapper = dict(detector=dict(optimizer=dict(lr=0.0025)))
param_scheduler = dict(detector=[
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=2000, milestones=[1500], gamma=0.1)
])
