# The Lite0 DetectorGAN on mini-MIAS with local generation (see the R18 local-crop
# config for what model.local_crop and the other switches change).
_base_ = ['./dgan_retinanet-effnet-lite0_1xb4-2k_mini-mias.py']

# The in-loop detector trains on real films only (syn_ratio=0); residual generators paste only
# their change; detector terms x0.1; the inserter that the hooks, synthesis and export use is the
# moving average of G_X (inserter_ema). Why: docs/configs.md, "Why these settings".
model = dict(local_crop=dict(crop_size=64, context=3.0, min_window=16, paste='change'),
             train_cfg=dict(pool_size=50, syn_ratio=0.0), inserter_ema=dict(momentum=0.01),
             generator_x=dict(output='residual'), generator_y=dict(output='residual'),
             loss_weights=dict(det_syn=0.1, unroll=0.1),
             disc_global_x=dict(downsample=2), disc_global_y=dict(downsample=2))
# Insertion quality (kernel and Fréchet distances of inserted to real lesion crops, held-out
# clean films) and labelled image grids, every 100 iterations.
custom_hooks = [
    dict(type='GANVisualizationHook', interval=100),
    dict(type='InsertionQualityHook', interval=100, clean_ann_file='clean_val.json',
         real_ann_file='train.json', num_images=40)
]
