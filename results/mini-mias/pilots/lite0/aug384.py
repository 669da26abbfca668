# Pilot: as aug256.py at 384 px (small lesions get 1.5x the pixels), 700 iterations.
_base_ = './aug256.py'
img_scale = (384, 384)
train_pipeline = [dict(t, scale=img_scale) if t['type'] == 'mmdet.RandomResize' else t
                  for t in _base_.train_pipeline]
test_pipeline = [dict(t, scale=img_scale) if t['type'] == 'mmdet.Resize' else t
                 for t in _base_.test_pipeline]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
max_iters = 700
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', begin=50, end=max_iters, T_max=max_iters - 50,
         by_epoch=False, eta_min=0.0)
]
default_hooks = dict(checkpoint=dict(interval=max_iters))
