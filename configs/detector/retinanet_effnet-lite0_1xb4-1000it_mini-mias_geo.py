# Real-only mini-MIAS detector with geometric augmentation (issue 32 baseline tuning,
# candidate "geo"; results/README.md "Baseline tuning"): the horizontal flip of the
# reference plus a random scale (0.8-1.25) and shift (up to 10 % of the side) of the
# resized film. No rotation or shear: they widen the axis-aligned lesion boxes.
# The black border matches the film background.
_base_ = './retinanet_effnet-lite0_1xb4-1000it_mini-mias.py'

random_affine = dict(
    type='mmdet.RandomAffine', max_rotate_degree=0.0, max_translate_ratio=0.1,
    scaling_ratio_range=(0.8, 1.25), max_shear_degree=0.0, border_val=(0, 0, 0))
# The reference pipeline with the affine after the flip, before packing.
train_pipeline = [*_base_.train_pipeline[:-1], random_affine, _base_.train_pipeline[-1]]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
