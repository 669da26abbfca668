# Runtime shared by every mmdgan config (iteration-based training).
default_scope = 'mmdgan'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=10),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=500, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='mmdet.DetVisualizationHook'))
# Grids of clean x | mask | G_X(x, m) | labelled y | G_Y(y, m_y) in work_dir/vis/.
custom_hooks = [dict(type='GANVisualizationHook', interval=500)]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # tools/train.py switches to gloo (and a CPU DDP wrapper) without CUDA.
    dist_cfg=dict(backend='nccl'))

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='mmdet.DetLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(type='LogProcessor', window_size=10, by_epoch=False)
log_level = 'INFO'

# Each module is wrapped on its own under DDP, so the unroll can take
# second-order gradients through the bare detector.
model_wrapper_cfg = dict(
    type='MMSeparateDistributedDataParallel', broadcast_buffers=False,
    find_unused_parameters=True)

randomness = dict(seed=0)
load_from = None
resume = False
