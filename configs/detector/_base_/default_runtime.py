default_scope = 'mmdgan'
default_hooks = dict(
    timer=dict(type='mmdet.IterTimerHook'),
    logger=dict(type='mmdet.LoggerHook', interval=50),
    param_scheduler=dict(type='mmdet.ParamSchedulerHook'),
    checkpoint=dict(type='mmdet.CheckpointHook', by_epoch=False, interval=1500,
                    max_keep_ckpts=1),
    sampler_seed=dict(type='mmdet.DistSamplerSeedHook'))
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='mmdet.DetLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(type='mmdet.LogProcessor', window_size=50, by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)
