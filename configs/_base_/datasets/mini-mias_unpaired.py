# Unpaired training data for DetectorGAN on mini-MIAS (data/mini-mias/): NORM
# films (X) with insertion boxes in the breast tissue (region='breast': no film
# labels, no pectoral muscle; docs/box_region_breast_mini-mias.png), lesion
# films (Y). Same pipelines (256 px, one grey channel) as demo_unpaired.py.
_base_ = './demo_unpaired.py'
data_root = 'data/mini-mias/'
train_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        # mini-MIAS boxes are large next to the breast: one box, 90 % of it inside.
        box_sampler=dict(num_boxes=1, min_inside=0.9, region='breast')))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = dict(dataset=dict(data_root=data_root))
val_evaluator = dict(ann_file=data_root + 'val.json')
test_evaluator = dict(ann_file=data_root + 'test.json')
