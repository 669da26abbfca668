# DetectorGAN (RetinaNet-R18 in the loop, exact unroll) on mini-MIAS, 256 px, batch 4.
_base_ = [
    './_base_/models/dgan_retinanet-r18.py', './_base_/datasets/mini-mias_unpaired.py',
    './_base_/schedules/dgan_2k.py', './_base_/default_runtime.py'
]
# mini-MIAS truths are circles: G_X learns (and synthesis draws) masks inscribed in the box.
model = dict(data_preprocessor=dict(mask_shape='ellipse'))
