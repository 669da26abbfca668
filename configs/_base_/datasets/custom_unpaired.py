# Unpaired DetectorGAN data on any converted dataset folder (docs/your-data.md): clean
# images X (clean_train.json, or clean context crops of the labelled images when the
# folder has none) with insertion boxes of every class, drawn with the training
# split's class frequencies and sizes; labelled images Y (train.json). Validation and
# test are those of custom_detection.py. As there, classes, channels and image size
# come from the folder (`dataset_meta = 'auto'`), and so does the insertion region
# (`insertion_region = 'auto'`: Otsu foreground for grey films, anywhere the box fits
# for colour photographs), e.g.  --cfg-options data_root=data/my-set/ insertion_region=full
_base_ = './demo_unpaired.py'
dataset_meta = 'auto'
data_root = 'data/custom/'
img_scale = 'auto'
insertion_region = 'auto'
train_dataloader = dict(dataset=dict(data_root=data_root, target_class=None))
val_dataloader = dict(dataset=dict(data_root=data_root, metainfo=None))
test_dataloader = dict(dataset=dict(data_root=data_root, metainfo=None))
val_evaluator = dict(ann_file=data_root + 'val.json', classwise=True)
test_evaluator = dict(ann_file=data_root + 'test.json', classwise=True)
