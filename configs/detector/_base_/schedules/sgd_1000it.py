# Fine-tuning schedule of the pretrained detectors: SGD lr 0.0025 (0.01 with a fresh
# head diverged in the pilot: loss spikes, grad norm > 500 by iteration 300), a short
# linear warm-up, cosine decay to zero, 1000 iterations. Evaluation runs once, at
# the end: the experiment reports the last checkpoint (no model selection).
max_iters = 1000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', begin=50, end=max_iters, T_max=max_iters - 50,
         by_epoch=False, eta_min=0.0)
]
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.0025, momentum=0.9, weight_decay=0.0001),
    clip_grad=dict(max_norm=35, norm_type=2))
