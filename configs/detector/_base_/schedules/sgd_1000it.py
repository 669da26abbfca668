# Fine-tuning schedule of the pretrained detectors: the SGD of ./sgd_1500it.py at
# lr 0.0025, a 50-iteration linear warm-up, cosine decay to zero, 1000 iterations.
# Evaluation runs once, at the end (the last checkpoint is reported).
_base_ = './sgd_1500it.py'

max_iters = 1000
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', begin=50, end=max_iters, T_max=max_iters - 50,
         by_epoch=False, eta_min=0.0)
]
optim_wrapper = dict(optimizer=dict(lr=0.0025))
