# The from-scratch schedule of ./sgd_1500it.py shortened to 300 iterations (the
# quick demo comparison): warm-up over 30 iterations, steps at 200 and 270.
_base_ = './sgd_1500it.py'

max_iters = 300
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
warmup, steps = _base_.param_scheduler
param_scheduler = [dict(warmup, end=30), dict(steps, end=max_iters, milestones=[200, 270])]
del warmup, steps
