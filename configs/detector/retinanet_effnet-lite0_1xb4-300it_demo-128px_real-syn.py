# The quick demo detector (128 px, 300 iterations) on real Y train concatenated
# with a synthetic dataset folder written by tools/synthesize.py; point it at the
# folder with --cfg-options train_dataloader.dataset.datasets.1.data_root=DIR/
_base_ = './retinanet_effnet-lite0_1xb4-300it_demo-128px.py'

syn_data_root = 'work_dirs/synthetic/demo/'
_real = _base_.train_dataloader.dataset
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        datasets=[_real, dict(_real, data_root=syn_data_root, ann_file='train.json')]))
del _real
