# The from-scratch schedule of ./sgd_1500it.py shortened to 300 iterations (the
# quick demo comparison): warm-up over 30 iterations, steps at 200 and 270.
_base_ = './sgd_1500it.py'

max_iters = 300
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=30),
    dict(type='MultiStepLR', begin=0, end=max_iters, by_epoch=False,
         milestones=[200, 270], gamma=0.1)
]
