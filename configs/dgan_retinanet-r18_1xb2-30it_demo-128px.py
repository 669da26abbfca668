# DetectorGAN of the quick demo comparison: the R18 demo config at 128 px, batch 2,
# 30 iterations. The in-loop detector's anchors are halved with the image, as in
# configs/detector/retinanet_r18_1xb4-300it_demo-128px.py.
_base_ = './dgan_retinanet-r18_1xb2-20it_demo.py'

img_scale = (128, 128)
max_iters = 30
model = dict(detector=dict(bbox_head=dict(anchor_generator=dict(octave_base_scale=1))))


def _rescaled(pipeline):
    return [dict(t, scale=img_scale) if t['type'] == 'mmdet.Resize' else t for t in pipeline]


train_dataloader = dict(dataset=dict(clean_pipeline=_rescaled(_base_.clean_pipeline),
                                     labelled_pipeline=_rescaled(_base_.labelled_pipeline)))
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))
custom_hooks = [dict(type='GANVisualizationHook', interval=max_iters)]
