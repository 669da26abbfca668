# The demo detection data of ./demo.py at 128 px (train and test pipelines).
_base_ = './demo.py'

img_scale = (128, 128)


def _rescaled(pipeline):
    return [dict(t, scale=img_scale) if t['type'] == 'mmdet.Resize' else t for t in pipeline]


train_pipeline = _rescaled(_base_.train_pipeline)
test_pipeline = _rescaled(_base_.test_pipeline)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
