# The "aug" candidate with twice the learning rate (SGD 0.005) and a warm-up of 10 %
# of the run instead of 5 % (issue 32 baseline tuning, candidate "aug-lr2x"). The
# pilot's 0.01 diverged with a fresh head; a longer warm-up guards the doubled rate.
_base_ = './retinanet_effnet-lite0_1xb4-1000it_mini-mias_aug.py'

warmup_iters = 100
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='CosineAnnealingLR', begin=warmup_iters, end=_base_.max_iters,
         T_max=_base_.max_iters - warmup_iters, by_epoch=False, eta_min=0.0)
]
optim_wrapper = dict(optimizer=dict(lr=0.005))
