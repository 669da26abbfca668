# 20 iterations: the demo's smoke schedule.
_base_ = ['./dgan_2k.py']

train_cfg = dict(max_iters=20, val_interval=20)
param_scheduler = dict(
    detector=[dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=10)])
