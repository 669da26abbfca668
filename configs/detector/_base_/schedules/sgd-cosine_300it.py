# The fine-tuning schedule of ./sgd_1000it.py shortened to 300 iterations (the
# quick demo comparison): warm-up over 20 iterations, cosine decay to zero.
_base_ = './sgd_1000it.py'

max_iters = 300
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=20),
    dict(type='CosineAnnealingLR', begin=20, end=max_iters, T_max=max_iters - 20,
         by_epoch=False, eta_min=0.0)
]
