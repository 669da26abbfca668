"""synthesize(): GAN synthetic dataset format, provenance and atomic writes."""
import json

import cv2
import numpy as np
import pytest
from mmengine.config import Config

import mmdgan.apis.synthesize as synth_mod
from mmdgan.apis.synthesize import synthesize

GAN_CONFIG = 'configs/dgan_retinanet-r18_1xb2-20it_demo.py'
LOCAL_CROP_CONFIG = 'configs/dgan_retinanet-r18_local-crop_1xb2-20it_demo.py'


@pytest.fixture(params=[GAN_CONFIG, LOCAL_CROP_CONFIG], ids=['full', 'local-crop'])
def any_gan_cfg(demo_data, request):
    cfg = Config.fromfile(request.param)
    cfg.train_dataloader.dataset.data_root = str(demo_data)
    return cfg


@pytest.fixture
def gan_cfg(demo_data):
    cfg = Config.fromfile(GAN_CONFIG)
    cfg.train_dataloader.dataset.data_root = str(demo_data)
    return cfg


def test_synthesize_writes_coco_folder(any_gan_cfg, demo_data, tmp_path):
    out = tmp_path / 'syn'
    synthesize(any_gan_cfg, None, str(demo_data / 'clean_train.json'), num=5, out_dir=str(out),
               seed=3, batch_size=2, progress=False)
    coco = json.loads((out / 'train.json').read_text())
    y = json.loads((demo_data / 'train.json').read_text())
    assert coco['categories'] == y['categories']
    assert len(coco['images']) == 5
    info = coco['info']
    assert info['backend'] == 'pytorch' and info['seed'] == 3 and info['method'] == 'gan'
    # The config's clean pipeline resizes to 256 px: the generator runs there.
    assert info['resize'] == dict(scale=[256, 256], keep_ratio=True)
    for img_info in coco['images']:
        img = cv2.imread(str(out / img_info['file_name']), cv2.IMREAD_UNCHANGED)
        assert img.ndim == 2 and img.shape == (256, 256)  # native single channel
        anns = [a for a in coco['annotations'] if a['image_id'] == img_info['id']]
        assert 1 <= len(anns) <= 2  # num_boxes=(1, 2) in the config's sampler
        for a in anns:
            x, y0, w, h = a['bbox']
            assert a['category_id'] == 1 and w > 0 and h > 0
            assert x >= 0 and y0 >= 0 and x + w <= 256 and y0 + h <= 256


def test_same_seed_same_dataset(gan_cfg, demo_data, tmp_path):
    kwargs = dict(num=3, seed=7, batch_size=3, progress=False)
    clean = str(demo_data / 'clean_train.json')
    synthesize(gan_cfg, None, clean, out_dir=str(tmp_path / 'a'), **kwargs)
    synthesize(gan_cfg, None, clean, out_dir=str(tmp_path / 'b'), **kwargs)
    a = json.loads((tmp_path / 'a' / 'train.json').read_text())
    b = json.loads((tmp_path / 'b' / 'train.json').read_text())
    assert a['annotations'] == b['annotations'] and a['info']['sources'] == b['info']['sources']


def test_interrupted_run_leaves_nothing(gan_cfg, demo_data, tmp_path, monkeypatch):
    real_build = synth_mod.build_inserter
    calls = []

    def failing_build(*args, **kwargs):
        inserter = real_build(*args, **kwargs)

        def insert(images, masks):
            calls.append(1)
            if len(calls) == 2:
                raise RuntimeError('simulated crash')
            return inserter(images, masks)
        return insert

    monkeypatch.setattr(synth_mod, 'build_inserter', failing_build)
    with pytest.raises(RuntimeError, match='simulated crash'):
        synthesize(gan_cfg, None, str(demo_data / 'clean_train.json'), num=6,
                   out_dir=str(tmp_path / 'syn'), batch_size=2, progress=False)
    assert len(calls) == 2
    assert list(tmp_path.iterdir()) == []  # neither the output nor a temp folder


def test_existing_output_and_overwrite(gan_cfg, demo_data, tmp_path):
    out = tmp_path / 'syn'
    out.mkdir()
    (out / 'old.txt').write_text('x')
    clean = str(demo_data / 'clean_train.json')
    with pytest.raises(FileExistsError, match='--overwrite'):
        synthesize(gan_cfg, None, clean, num=1, out_dir=str(out), progress=False)
    # Issue 13.4: --overwrite replaces a synthetic dataset only, never other folders.
    with pytest.raises(FileExistsError, match='refusing to replace .*syn: it has no'):
        synthesize(gan_cfg, None, clean, num=1, out_dir=str(out), overwrite=True, progress=False)
    assert (out / 'old.txt').read_text() == 'x'
    (out / 'old.txt').unlink()
    synthesize(gan_cfg, None, clean, num=2, out_dir=str(out), progress=False)
    synthesize(gan_cfg, None, clean, num=1, out_dir=str(out), overwrite=True, progress=False)
    assert len(json.loads((out / 'train.json').read_text())['images']) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ['syn']


def test_bad_backend_and_missing_onnx(gan_cfg, demo_data, tmp_path):
    clean = str(demo_data / 'clean_train.json')
    with pytest.raises(ValueError, match='backend'):
        synthesize(gan_cfg, None, clean, 1, str(tmp_path / 'o'), backend='tensorrt')
    with pytest.raises(ValueError, match='--onnx'):
        synthesize(gan_cfg, None, clean, 1, str(tmp_path / 'o'), backend='onnxruntime')
    with pytest.raises(FileNotFoundError, match='missing.onnx'):
        synthesize(gan_cfg, None, clean, 1, str(tmp_path / 'o'), backend='onnxruntime',
                   onnx_model=str(tmp_path / 'missing.onnx'))
    assert not (tmp_path / 'o').exists()


def test_masks_cover_boxes():
    # The training rule (pixel centres in the box), not every pixel the box touches.
    mask = synth_mod.rasterize_boxes(np.array([[1.5, 2.0, 4.2, 5.0]]), 8, 8)
    assert mask[2:5, 1:4].all() and mask.sum() == 9


def test_temp_folder_of_a_killed_run_is_removed_by_the_next(gan_cfg, demo_data, tmp_path):
    """Issue 13.3: SIGKILL cannot clean up; the next run removes what the dead run left."""
    import subprocess
    import sys
    dead = subprocess.run([sys.executable, '-c', 'import os; print(os.getpid())'],
                          capture_output=True, text=True, check=True).stdout.strip()
    stale = tmp_path / f'.syn.tmp-{dead}-x1y2'
    (stale / 'images').mkdir(parents=True)
    (stale / 'images' / 'syn_000000.png').write_bytes(b'half')
    synthesize(gan_cfg, None, str(demo_data / 'clean_train.json'), num=1,
               out_dir=str(tmp_path / 'syn'), progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['syn']


def test_pixels_change_inside_the_boxes_only(gan_cfg, demo_data, tmp_path):
    """Issue 13.10: the inserter edits the boxes it labels and nothing else."""
    from mmdgan.synthesis import CleanImageSource, gan_resize
    clean = demo_data / 'clean_train.json'
    out = tmp_path / 'syn'
    synthesize(gan_cfg, None, str(clean), num=3, out_dir=str(out), seed=2, progress=False)
    coco = json.loads((out / 'train.json').read_text())
    source = CleanImageSource(clean, resize=gan_resize(gan_cfg), channels=1)
    gen = gan_cfg.model.generator_x
    margin = 1 + (gen.get('feather_radius', 0) if gen.get('composite') == 'feather' else 0)
    for img_info, name in zip(coco['images'], coco['info']['sources']):
        before = source.load(name).astype(int)
        after = cv2.imread(str(out / img_info['file_name']), cv2.IMREAD_UNCHANGED).astype(int)
        h, w = after.shape
        # Pixels a box covers partly may go either way, and the feathered
        # composite blends feather_radius px beyond the box: leave those out.
        near_box = np.zeros((h, w), bool)
        for ann in (a for a in coco['annotations'] if a['image_id'] == img_info['id']):
            x, y, bw, bh = ann['bbox']
            near_box[max(int(y) - margin, 0):int(np.ceil(y + bh)) + margin,
                     max(int(x) - margin, 0):int(np.ceil(x + bw)) + margin] = True
            inside = after[int(y) + 1:int(y + bh) - 1, int(x) + 1:int(x + bw) - 1]
            assert inside.size and (inside != before[int(y) + 1:int(y + bh) - 1,
                                                     int(x) + 1:int(x + bw) - 1]).mean() > 0.5
        assert near_box.any() and np.array_equal(after[~near_box], before[~near_box])


def test_outputs_get_the_umask_permissions(gan_cfg, demo_data, tmp_path):
    """Issue 13.8: synthetic folders were 0700 (a mkdtemp side effect)."""
    import os
    import stat
    old = os.umask(0o022)
    try:
        synthesize(gan_cfg, None, str(demo_data / 'clean_train.json'), num=1,
                   out_dir=str(tmp_path / 'syn'), progress=False)
    finally:
        os.umask(old)
    mode = lambda p: stat.S_IMODE(p.stat().st_mode)  # noqa: E731
    assert mode(tmp_path / 'syn') == 0o755 and mode(tmp_path / 'syn' / 'images') == 0o755
    assert mode(tmp_path / 'syn' / 'train.json') == 0o644
    assert mode(tmp_path / 'syn' / 'images' / 'syn_000000.png') == 0o644
