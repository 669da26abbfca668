# Pilot: aug256.py for 2000 iterations (is the schedule the limit?).
_base_ = './aug256.py'
max_iters = 2000
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', begin=50, end=max_iters, T_max=max_iters - 50,
         by_epoch=False, eta_min=0.0)
]
default_hooks = dict(checkpoint=dict(interval=max_iters))
