"""Generic configs read classes, channels, image size and region from their folder."""
import pytest

from mmdgan.utils import load_config

GENERIC = 'configs/dgan_retinanet-effnet-lite0_local-crop_1xb4-2k_custom.py'
DETECTOR = 'configs/detector/retinanet_effnet-lite0_1xb4-1000it_custom_real-syn.py'


def test_grey_one_class_folder(demo_data):
    cfg = load_config(GENERIC, {'data_root': str(demo_data)})
    assert cfg.dataset_classes == ['lesion'] and cfg.dataset_channels == 1
    assert cfg.model.generator_x.in_channels == 1 and cfg.model.generator_x.num_classes == 1
    assert cfg.model.target_label == 0
    dataset = cfg.train_dataloader.dataset
    assert dataset.box_sampler.region == 'otsu'
    assert dataset.clean_pipeline[0].color_type == 'grayscale'
    # The demo test folder is 96 px: the automatic scale is its median size.
    assert cfg.img_scale == (96, 96)
    assert all(t.scale == (96, 96) for t in dataset.clean_pipeline if t.type == 'mmdet.Resize')


def test_detector_config_and_its_synthetic_half(colour_data):
    cfg = load_config(DETECTOR, {'data_root': str(colour_data), 'insertion_region': 'full'})
    assert cfg.model.bbox_head.num_classes == 2
    real, syn = cfg.train_dataloader.dataset.datasets
    assert real.data_root == f'{colour_data}/'
    assert syn.data_root == cfg.syn_data_root  # the synthetic set keeps its own folder
    assert real.metainfo.classes == syn.metainfo.classes == ('disc', 'square')
    assert cfg.test_evaluator[0].ann_file == f'{colour_data}/test.json'
    assert cfg.test_evaluator[0].classwise


def test_missing_folder_is_named():
    with pytest.raises(FileNotFoundError, match='data_root: dataset folder not found: nowhere/'):
        load_config(GENERIC, {'data_root': 'nowhere'})
    # Without a folder named, a planner may still read the schedule.
    assert load_config(GENERIC).train_cfg.max_iters == 2000


def test_shipped_configs_are_left_alone():
    cfg = load_config('configs/dgan_retinanet-effnet-lite0_1xb2-20it_demo.py')
    assert 'dataset_classes' not in cfg
    assert cfg.train_dataloader.dataset.target_class == 'lesion'


def test_a_runner_may_point_the_datasets_at_the_folder(colour_data):
    cfg = load_config(GENERIC, {'train_dataloader.dataset.data_root': f'{colour_data}/'})
    assert cfg.data_root == f'{colour_data}/' and cfg.model.generator_x.num_classes == 2


def test_a_scoring_run_points_only_the_test_set_at_the_folder(colour_data):
    cfg = load_config('configs/detector/retinanet_effnet-lite0_1xb4-300it_custom.py',
                      {'test_dataloader.dataset.data_root': f'{colour_data}/'})
    assert cfg.test_dataloader.dataset.metainfo.classes == ('disc', 'square')
    assert cfg.model.bbox_head.num_classes == 2


def test_the_synthetic_half_is_never_taken_for_the_folder(colour_data, tmp_path):
    syn = tmp_path / 'syn'
    syn.mkdir()
    # A planner reads the real+synthetic config without naming the data.
    cfg = load_config(DETECTOR, {'syn_data_root': f'{syn}/'})
    assert 'dataset_classes' not in cfg
    cfg = load_config(DETECTOR, {'syn_data_root': f'{syn}/',
                                 'train_dataloader.dataset.datasets.0.data_root': f'{colour_data}/',
                                 'train_dataloader.dataset.datasets.1.data_root': f'{syn}/'})
    assert cfg.data_root == f'{colour_data}/' and cfg.model.bbox_head.num_classes == 2


def test_a_folder_without_clean_images_trains_on_clean_crops(colour_data, tmp_path):
    import shutil

    from mmdgan.registry import DATASETS
    from mmdgan.utils import register_all_modules

    root = tmp_path / 'noclean'
    shutil.copytree(colour_data, root)
    (root / 'clean_train.json').unlink()
    cfg = load_config(GENERIC, {'data_root': str(root), 'img_scale': (64, 64)})
    dataset = cfg.train_dataloader.dataset
    assert dataset.clean_ann_file == 'clean_crops_train.json'
    register_all_modules()
    item = DATASETS.build(dataset)[0]
    assert item['clean']['inputs'].shape[0] == 3
    assert len(item['clean']['data_samples'].gt_instances) >= 1
