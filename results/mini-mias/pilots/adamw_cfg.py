_base_ = '../../../configs/detector/retinanet_r18_1xb4-1500it_mini-mias.py'
optim_wrapper = dict(optimizer=dict(_delete_=True, type='AdamW', lr=0.001, weight_decay=0.05))
