# Unpaired training data for DetectorGAN on the demo data (data/demo/): clean
# images X (clean_train.json) with sampled insertion boxes, labelled images Y
# (train.json). Images keep their single grey channel. Validation and test are
# plain detection on Y val/test, inherited from demo_detection.py.
_base_ = './demo_detection.py'
data_root = 'data/demo/'
img_scale = (256, 256)

clean_pipeline = [
    dict(type='mmdet.LoadImageFromFile', color_type='unchanged'),
    # UnpairedDetDataset inserts SampleInsertionBoxes here (boxes on the loaded image).
    dict(type='mmdet.Resize', scale=img_scale, keep_ratio=True),
    dict(type='mmdet.RandomFlip', prob=0.5),
    dict(type='mmdet.PackDetInputs')
]
labelled_pipeline = [
    dict(type='mmdet.LoadImageFromFile', color_type='unchanged'),
    dict(type='mmdet.LoadAnnotations', with_bbox=True),
    dict(type='mmdet.Resize', scale=img_scale, keep_ratio=True),
    dict(type='mmdet.RandomFlip', prob=0.5),
    dict(type='mmdet.PackDetInputs')
]
train_dataloader = dict(
    _delete_=True,
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='mmdet.InfiniteSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='UnpairedDetDataset',
        data_root=data_root,
        clean_ann_file='clean_train.json',
        labelled_ann_file='train.json',
        clean_pipeline=clean_pipeline,
        labelled_pipeline=labelled_pipeline,
        # The box-size prior comes from Y's training split only.
        box_sampler=dict(
            type='BoxPriorSampler', ann_file='train.json', num_boxes=(1, 2),
            region='otsu', max_tries=100),
        target_class='lesion'))
