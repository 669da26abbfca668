# retinanet_effnet-lite0_1xb4-300it_demo-128px.py with its train set concatenated
# with a synthetic dataset folder written by tools/synthesize.py (images/ +
# train.json, Y's categories); point it at the folder with
#   --cfg-options train_dataloader.dataset.datasets.1.data_root=DIR/
_base_ = './retinanet_effnet-lite0_1xb4-300it_demo-128px.py'

syn_data_root = 'work_dirs/synthetic/demo/'
train_dataloader = dict(dataset=dict(_delete_=True, type='ConcatDataset', datasets=[
    _base_.train_dataloader.dataset,
    dict(_base_.train_dataloader.dataset, data_root=syn_data_root, ann_file='train.json')]))
