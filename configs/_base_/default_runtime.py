# Runtime of the DetectorGAN configs: the detector runtime (scope, hooks, env,
# visualizer, seed) with GAN-specific logging, checkpoints and grids.
_base_ = ['../detector/_base_/default_runtime.py']

default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=500, max_keep_ckpts=3),
    visualization=dict(type='mmdet.DetVisualizationHook'),
    # No checkpoint with non-finite weights; a warning when they have diverged.
    finite_weights=dict(type='FiniteWeightsHook'))
# Grids of clean x | mask | G_X(x, m) | labelled y | G_Y(y, m_y) in work_dir/vis/.
custom_hooks = [dict(type='GANVisualizationHook', interval=500)]
log_processor = dict(window_size=10)

# Each module is wrapped on its own under DDP, so the unroll can take
# second-order gradients through the bare detector. tools/train.py switches
# to gloo (and drops device_ids) without CUDA.
model_wrapper_cfg = dict(
    type='MMSeparateDistributedDataParallel', broadcast_buffers=False,
    find_unused_parameters=True)
