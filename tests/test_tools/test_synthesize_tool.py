"""tools/synthesize.py output loads in *stock* mmdet and trains a detector there."""
import json
import subprocess
import sys
import textwrap

import pytest
import torch

from mmdgan.synthesis.inserter import load_generator
from tools.synthesize import main

GAN_CONFIG = 'configs/dgan_retinanet-r18_1xb2-20it_demo.py'

#: Plain mmdet (default_scope='mmdet', nothing from mmdgan imported): a tiny
#: RetinaNet trained for 2 iterations on the synthetic folder.
STOCK_MMDET = textwrap.dedent("""
    import sys
    from mmengine.config import Config
    from mmengine.runner import Runner
    assert 'mmdgan' not in sys.modules
    root = sys.argv[1]
    pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations', with_bbox=True),
                dict(type='Resize', scale=(64, 64), keep_ratio=True), dict(type='PackDetInputs')]
    cfg = Config(dict(
        default_scope='mmdet', work_dir=sys.argv[2],
        model=dict(type='RetinaNet',
                   data_preprocessor=dict(type='DetDataPreprocessor', pad_size_divisor=32),
                   backbone=dict(type='ResNet', depth=18, out_indices=(3, ), init_cfg=None),
                   neck=dict(type='FPN', in_channels=[512], out_channels=16, num_outs=1),
                   bbox_head=dict(type='RetinaHead', num_classes=1, in_channels=16,
                                  stacked_convs=1, feat_channels=16,
                                  anchor_generator=dict(type='AnchorGenerator',
                                                        octave_base_scale=2,
                                                        scales_per_octave=1, ratios=[1.0],
                                                        strides=[32]),
                                  bbox_coder=dict(type='DeltaXYWHBBoxCoder'),
                                  loss_cls=dict(type='FocalLoss', use_sigmoid=True),
                                  loss_bbox=dict(type='L1Loss')),
                   train_cfg=dict(assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5,
                                                neg_iou_thr=0.4, min_pos_iou=0),
                                  sampler=dict(type='PseudoSampler'), allowed_border=-1,
                                  pos_weight=-1, debug=False),
                   test_cfg=dict(score_thr=0.0, nms=dict(type='nms', iou_threshold=0.5),
                                 max_per_img=10)),
        train_dataloader=dict(batch_size=2, num_workers=0,
                              sampler=dict(type='InfiniteSampler'),
                              dataset=dict(type='CocoDataset', data_root=root,
                                           ann_file='train.json', data_prefix=dict(img=''),
                                           metainfo=dict(classes=('lesion', )),
                                           pipeline=pipeline)),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=2, val_interval=100),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.001, momentum=0.9)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False))))
    runner = Runner.from_cfg(cfg)
    print('num_images', len(runner.train_dataloader.dataset))
    runner.train()
    print('trained ok')
    """)


def _stock_train(root, work_dir):
    proc = subprocess.run([sys.executable, '-c', STOCK_MMDET, str(root), str(work_dir)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def _random_checkpoint(path):
    """A checkpoint holding a randomly initialised G_X, keyed as tools/train.py saves it."""
    generator = load_generator(GAN_CONFIG, None, 'inserter')
    torch.save(dict(state_dict={f'generator_x.{k}': v
                                for k, v in generator.state_dict().items()}), path)
    return str(path)


def test_gan_synthetic_set_trains_in_stock_mmdet(demo_data, tmp_path):
    out = tmp_path / 'syn'
    ckpt = _random_checkpoint(tmp_path / 'g.pth')
    main([GAN_CONFIG, ckpt, '--clean', str(demo_data / 'clean_train.json'), '--num', '4',
          '--out', str(out), '--seed', '1', '--no-progress', '--cfg-options',
          f'train_dataloader.dataset.data_root={demo_data}/',
          'train_dataloader.dataset.clean_pipeline.1.scale=(64,64)'])
    coco = json.loads((out / 'train.json').read_text())
    assert coco['info']['checkpoint'] == ckpt and coco['info']['seed'] == 1
    assert len(coco['images']) == 4
    log = _stock_train(out, tmp_path / 'work')
    assert 'num_images 4' in log and 'trained ok' in log


def test_copy_paste_cli_without_config(demo_data, tmp_path):
    out = tmp_path / 'cp'
    main(['--method', 'copy-paste', '--labelled', str(demo_data / 'train.json'), '--clean',
          str(demo_data / 'clean_train.json'), '--num', '3', '--out', str(out),
          '--blend', 'feather', '--no-progress'])
    coco = json.loads((out / 'train.json').read_text())
    assert coco['info']['blend'] == 'feather' and len(coco['images']) == 3
    with pytest.raises(FileExistsError, match='--overwrite'):
        main(['--method', 'copy-paste', '--labelled', str(demo_data / 'train.json'),
              '--clean', str(demo_data / 'clean_train.json'), '--num', '3', '--out', str(out)])


def test_cli_argument_errors():
    with pytest.raises(SystemExit):
        main(['--clean', 'x.json', '--num', '1', '--out', 'o'])  # gan without CONFIG
    with pytest.raises(SystemExit):
        main(['--method', 'copy-paste', '--clean', 'x.json', '--num', '1', '--out', 'o'])
