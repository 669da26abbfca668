# The quick real + synthetic detector for your own dataset folder: the real training set
# plus a synthetic folder written by tools/synthesize.py (syn_data_root).
_base_ = './retinanet_effnet-lite0_1xb4-300it_custom.py'

syn_data_root = 'work_dirs/synthetic/custom/'
train_dataloader = dict(dataset=dict(_delete_=True, type='ConcatDataset', datasets=[
    _base_.train_dataloader.dataset,
    dict(_base_.train_dataloader.dataset, data_root=syn_data_root, ann_file='train.json')]))
