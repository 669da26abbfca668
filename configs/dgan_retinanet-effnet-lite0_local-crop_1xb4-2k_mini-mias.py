# The Lite0 DetectorGAN on mini-MIAS with local generation (see the R18 local-crop
# config for what model.local_crop and the other switches change).
_base_ = ['./dgan_retinanet-effnet-lite0_1xb4-2k_mini-mias.py']

# syn_ratio=0: the in-loop detector trains on real films only. Trained on the synthetic
# images too (0.5), it agrees with the generator on an easy signature and L_det^syn paints
# a 4-pixel grid into every lesion (kernel distance 827/812/954e-3 at 100/200/300
# iterations against 667/289/492e-3 with 0, no grid; results/mini-mias/gan_diag/).
# Residual generators (identity at the start) pasting only their change (full-resolution texture
# kept under the box), detector terms x0.1: kernel distance 54/121/83e-3 at 100/200/300 iterations,
# against 505/449/242e-3 at weight 1 (saturated white spots) and 667/289/492e-3 for generators that
# paint the whole box; clean crops 63e-3 (results/mini-mias/gan_diag/). The raw G_X swings from
# checkpoint to checkpoint (38/72/26/83/37e-3 at 100..500 iterations): the inserter that the hooks,
# synthesis and export use is the moving average of G_X (inserter_ema, time constant 100 iterations).
model = dict(local_crop=dict(crop_size=64, context=3.0, min_window=16, paste='change'),
             pool_size=50, inserter_ema=dict(momentum=0.01),
             generator_x=dict(output='residual'), generator_y=dict(output='residual'),
             loss_weights=dict(det_syn=0.1), unroll=dict(weight=0.1),
             disc_global_x=dict(downsample=2), disc_global_y=dict(downsample=2), syn_ratio=0.0)
# Insertion quality (kernel and Fréchet distances of inserted to real lesion crops, held-out clean
# films) and labelled image grids, every 100 iterations: the curve shows when to stop.
custom_hooks = [
    dict(type='GANVisualizationHook', interval=100),
    dict(type='InsertionQualityHook', interval=100, clean_ann_file='clean_val.json',
         real_ann_file='train.json', num_images=40)
]
