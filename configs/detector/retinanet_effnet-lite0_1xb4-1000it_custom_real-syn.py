# Real + synthetic RetinaNet for your own dataset folder: the real training set plus
# a synthetic folder written by tools/synthesize.py, e.g.
#   --cfg-options data_root=data/my-set/ \
#       train_dataloader.dataset.datasets.1.data_root=work_dirs/synthetic/my-set/
# (syn_data_root is resolved when the file is read: overriding it moves nothing).
_base_ = './retinanet_effnet-lite0_1xb4-1000it_custom.py'

syn_data_root = 'work_dirs/synthetic/custom/'
train_dataloader = dict(dataset=dict(_delete_=True, type='ConcatDataset', datasets=[
    _base_.train_dataloader.dataset,
    dict(_base_.train_dataloader.dataset, data_root=syn_data_root, ann_file='train.json')]))
