# Real Y train concatenated with a synthetic dataset folder written by
# tools/synthesize.py (images/ + train.json, Y's categories). Point it at the
# synthetic folder with
#   --cfg-options train_dataloader.dataset.datasets.1.data_root=DIR/
_base_ = './retinanet_effnet-lite0_1xb4-1000it_demo.py'

syn_data_root = 'work_dirs/synthetic/demo/'
_real = _base_.train_dataloader.dataset
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        datasets=[_real, dict(_real, data_root=syn_data_root, ann_file='train.json')]))
del _real
