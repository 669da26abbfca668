"""Issue 34: no silent corruption, no tool deletes or replaces what it did not write.

One test per probe case (34.1 ... 34.11); each reproduced the failure before
the fix. docs/reliability.md lists them against the promises they check.
"""
import copy
import importlib.util
import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmdgan.datasets.converters.voc import convert_voc
from mmdgan.fileio import read_checkpoint
from mmdgan.utils.cli import run_tool
from mmdgan.utils.tool_runner import cfg_options

REPO = Path(__file__).resolve().parents[2]
GAN_CONFIG = str(REPO / 'configs' / 'dgan_retinanet-r18_1xb2-20it_demo.py')
DATASET_CONFIG = REPO / 'configs/_base_/datasets/demo_unpaired.py'


def _tool(path):
    spec = importlib.util.spec_from_file_location(Path(path).stem + '_r_tool', REPO / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _one_line(capsys, prefix, *names):
    err = capsys.readouterr().err.strip()
    assert err.startswith(prefix) and '\n' not in err and 'Traceback' not in err, err
    for name in names:
        assert name in err, err
    return err


def _voc(src, files):
    """A VOC folder: ``files`` maps an xml stem to its image file name (one person each)."""
    (src / 'Annotations').mkdir(parents=True)
    (src / 'JPEGImages').mkdir()
    for i, (stem, filename) in enumerate(files.items()):
        image = src / 'JPEGImages' / filename
        if not os.path.isabs(filename) and '..' not in filename:
            cv2.imwrite(str(image), np.full((32, 32, 3), 40 * i, np.uint8))
        (src / 'Annotations' / f'{stem}.xml').write_text(
            f'<annotation><filename>{filename}</filename><object><name>person</name>'
            '<bndbox><xmin>2</xmin><ymin>2</ymin><xmax>20</xmax><ymax>20</ymax></bndbox>'
            '</object></annotation>')


def _checkpoint(path, complete=True):
    torch.save(dict(meta=dict(iter=1), state_dict=dict(w=torch.zeros(64))), path)
    if not complete:
        path.write_bytes(path.read_bytes()[:200])


# 34.1 ---------------------------------------------------------------------------------------
def test_voc_two_sources_with_one_stem_are_refused(tmp_path):
    _voc(tmp_path / 'src', {'a': 'img_0001.jpg', 'b': 'img_0001.png', 'c': 'img_0002.jpg'})
    with pytest.raises(ValueError, match=r'img_0001\.jpg and .*img_0001\.png would both be '
                                         r'written to images/img_0001\.png'):
        convert_voc(tmp_path / 'src', tmp_path / 'out', classes=['person'])
    assert not (tmp_path / 'out').exists()


# 34.2 ---------------------------------------------------------------------------------------
def test_export_refuses_to_replace_a_file_or_write_into_a_folder(tmp_path, capsys):
    main = _tool('deploy/export_onnx.py').main
    notes = tmp_path / 'notes.md'
    notes.write_text('my notes')
    assert run_tool(main, [GAN_CONFIG, 'none', '--out', str(notes)]) == 1
    _one_line(capsys, 'error:', 'notes.md', '--overwrite')
    assert notes.read_text() == 'my notes'
    # 34.11: a folder as --out is one line, not an IsADirectoryError traceback.
    assert run_tool(main, [GAN_CONFIG, 'none', '--out', str(tmp_path)]) == 1
    _one_line(capsys, 'error:', str(tmp_path), 'is a folder')


def test_quantize_refuses_its_own_input_as_output(tmp_path, capsys):
    main = _tool('deploy/quantize.py').main
    model = tmp_path / 'in.onnx'
    model.write_bytes(b'fp32 model')
    for extra in ([], ['--overwrite']):
        argv = [str(model), '--out', str(model), '--mode', 'int8', '--calib-data', str(tmp_path)]
        assert run_tool(main, argv + extra) == 1
        _one_line(capsys, 'error:', 'in.onnx', 'is the input model itself')
    assert model.read_bytes() == b'fp32 model'


# 34.3 ---------------------------------------------------------------------------------------
def test_overwrite_refuses_a_hand_made_dataset_folder(tmp_path):
    from mmdgan.fileio import MARKER
    _voc(tmp_path / 'src', {'a': 'a.jpg', 'b': 'b.jpg'})
    hand = tmp_path / 'hand'
    (hand / 'images').mkdir(parents=True)
    (hand / 'images' / 'my_scan.png').write_bytes(b'precious')
    for name in ('train', 'val', 'test', 'clean_train', 'clean_val', 'clean_test'):
        (hand / f'{name}.json').write_text('{}')
    with pytest.raises(FileExistsError, match=f'refusing to replace .*hand: it has no {MARKER}'):
        convert_voc(tmp_path / 'src', hand, classes=['person'], overwrite=True)
    assert (hand / 'images' / 'my_scan.png').read_bytes() == b'precious'
    out = tmp_path / 'out'
    convert_voc(tmp_path / 'src', out, classes=['person'])
    assert (out / MARKER).is_file()
    convert_voc(tmp_path / 'src', out, classes=['person'], overwrite=True)  # its own: replaced


# 34.4 ---------------------------------------------------------------------------------------
@pytest.mark.parametrize('tool', ['tools/train.py', 'tools/synthesize.py'])
def test_cfg_options_values_with_spaces_are_refused(tool, capsys):
    parse_args = _tool(tool).parse_args
    argv = [GAN_CONFIG] if 'train' in tool else [
        GAN_CONFIG, 'x.pth', '--clean', 'c.json', '--num', '1', '--out', 'o']
    with pytest.raises(SystemExit) as exit_info:
        parse_args(argv + ['--cfg-options', 'train_dataloader.dataset.data_root=/data/a b/'])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert 'train_dataloader.dataset.data_root' in err and "'/data/a b/'" in err
    # Spaces around list punctuation change nothing: still accepted.
    args = _tool('tools/train.py').parse_args(
        [GAN_CONFIG, '--cfg-options', 'param_scheduler.0.milestones=[1, 2]'])
    assert args.cfg_options == {'param_scheduler.0.milestones': [1, 2]}


def test_experiment_tools_refuse_values_with_spaces(capsys):
    """The experiment runner's own options and the options it passes to the tools it runs."""
    parse_args = _tool('tools/experiments/cross_validation.py').parse_args
    with pytest.raises(SystemExit) as exit_info:
        parse_args(['configs/experiments/cv_demo-quick.py', '--cfg-options', 'data_root=/d/a b/'])
    assert exit_info.value.code == 2
    assert "data_root: the value '/d/a b/' has whitespace" in capsys.readouterr().err
    with pytest.raises(ValueError, match="data_root: the value '/d/a b/' has whitespace"):
        cfg_options({'data_root': '/d/a b/'})
    assert cfg_options({'milestones': [1, 2], 'data_root': 'd/'}) == [
        '--cfg-options', 'milestones=[1,2]', 'data_root=d/']


# 34.6 ---------------------------------------------------------------------------------------
def test_resume_skips_a_truncated_checkpoint(tmp_path):
    from mmdgan.utils.runner_config import sound_resume_checkpoint
    _checkpoint(tmp_path / 'iter_2.pth')
    _checkpoint(tmp_path / 'iter_4.pth', complete=False)
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_4.pth'))
    assert sound_resume_checkpoint(str(tmp_path), 'auto') == str(tmp_path / 'iter_2.pth')
    with pytest.raises(ValueError, match=r'iter_4\.pth is truncated.*newest complete one '
                                         r'beside it is .*iter_2\.pth'):
        sound_resume_checkpoint(str(tmp_path), str(tmp_path / 'iter_4.pth'))
    (tmp_path / 'iter_2.pth').unlink()
    with pytest.raises(ValueError, match=r'cannot resume: .*iter_4\.pth is truncated'):
        sound_resume_checkpoint(str(tmp_path), 'auto')
    with pytest.raises(ValueError, match=r'iter_4\.pth: not a readable checkpoint'):
        read_checkpoint(tmp_path / 'iter_4.pth')


def test_train_resume_from_a_truncated_checkpoint_is_one_line(tmp_path, capsys):
    main = _tool('tools/train.py').main
    _checkpoint(tmp_path / 'iter_4.pth', complete=False)
    argv = [GAN_CONFIG, '--work-dir', str(tmp_path / 'wd'), '--resume',
            str(tmp_path / 'iter_4.pth')]
    assert run_tool(main, argv) == 1
    _one_line(capsys, 'error:', 'iter_4.pth is truncated')


def test_train_auto_resume_falls_back_past_a_truncated_checkpoint(demo_data, tmp_path):
    """A kill while iter_2.pth was written: --resume continues from iter_1.pth."""
    from tests.test_engine.tiny_cfg import TINY_CONFIG, data_options
    main = _tool('tools/train.py').main
    work_dir = tmp_path / 'work'
    common = [str(TINY_CONFIG), '--work-dir', str(work_dir), '--cfg-options',
              *[f'{k}={v}' for k, v in data_options(demo_data).items()], 'val_cfg=None',
              'val_dataloader=None', 'val_evaluator=None', 'default_hooks.checkpoint.interval=1',
              'default_hooks.checkpoint.max_keep_ckpts=2']
    main(common + ['train_cfg.max_iters=2'])
    _checkpoint(work_dir / 'iter_2.pth', complete=False)
    runner = main(common[:3] + ['--resume'] + common[3:] + ['train_cfg.max_iters=3'])
    assert runner.iter == 3
    assert torch.load(work_dir / 'iter_3.pth', weights_only=False)['meta']['iter'] == 3


def test_read_checkpoint_uses_the_public_loader(tmp_path, monkeypatch):
    import mmengine.runner.checkpoint as mm_checkpoint

    def private(*args, **kwargs):
        raise AssertionError('private _load_checkpoint used')

    monkeypatch.setattr(mm_checkpoint, '_load_checkpoint', private)
    _checkpoint(tmp_path / 'iter_1.pth')
    assert read_checkpoint(tmp_path / 'iter_1.pth')['meta'] == dict(iter=1)


# 34.7 ---------------------------------------------------------------------------------------
@pytest.mark.parametrize('value', [float('nan'), 1e30])
def test_synthesis_refuses_a_diverged_inserter(tmp_path, value):
    from mmdgan.synthesis.inserter import load_generator
    generator = load_generator(GAN_CONFIG, None, 'inserter')
    state = {f'generator_x.{k}': v.clone() for k, v in generator.state_dict().items()}
    name = next(k for k, v in state.items() if v.is_floating_point())
    state[name].view(-1)[0] = value
    ckpt = tmp_path / 'iter_9.pth'
    torch.save(dict(state_dict=state), ckpt)
    with pytest.raises(ValueError, match=rf"iter_9\.pth: the inserter weight "
                                         rf"'{name[len('generator_x.'):]}' is "):
        load_generator(GAN_CONFIG, str(ckpt), 'inserter')


# 34.8 ---------------------------------------------------------------------------------------
def _boxes_outside(demo_data, tmp_path):
    coco = json.loads((demo_data / 'train.json').read_text())
    sizes = {i['id']: i['width'] for i in coco['images']}
    for ann in coco['annotations']:
        ann['bbox'] = [sizes[ann['image_id']] + 5, 3, 10, 10]
    for img in coco['images']:
        img['file_name'] = str(demo_data / img['file_name'])
    coco['info'] = dict(file_names='absolute')
    path = tmp_path / 'train.json'
    path.write_text(json.dumps(coco))
    return path, coco['annotations'][0]['id']


def test_training_refuses_a_file_whose_boxes_all_lie_outside(demo_data, tmp_path):
    from mmdgan.registry import DATASETS
    from mmdgan.utils import register_all_modules
    register_all_modules()
    path, first = _boxes_outside(demo_data, tmp_path)
    cfg = copy.deepcopy(Config.fromfile(str(DATASET_CONFIG)).train_dataloader.dataset)
    cfg.data_root = str(demo_data)
    cfg.labelled_ann_file = str(path)
    with pytest.raises(ValueError, match=rf'train\.json: every box .* annotation {first} '
                                         r'\(outside the image\)'):
        DATASETS.build(cfg)


def test_copy_paste_refuses_a_file_whose_boxes_all_lie_outside(demo_data, tmp_path):
    from mmdgan.synthesis import copy_paste_synthesize
    path, first = _boxes_outside(demo_data, tmp_path)
    sampler = dict(type='BoxPriorSampler', ann_file='train.json', data_root=str(demo_data))
    with pytest.raises(ValueError, match=rf'train\.json: every box .* lies outside its image.*'
                                         rf'annotation {first} bbox'):
        copy_paste_synthesize(str(path), str(demo_data / 'clean_train.json'), num=1,
                              out_dir=str(tmp_path / 'cp'), box_sampler=sampler,
                              progress=False)
    assert not (tmp_path / 'cp').exists()


# 34.9 ---------------------------------------------------------------------------------------
def test_unknown_model_key_is_one_line_before_any_work_dir(tmp_path, capsys):
    main = _tool('tools/train.py').main
    work_dir = tmp_path / 'wd'
    argv = [GAN_CONFIG, '--work-dir', str(work_dir), '--cfg-options', 'model.no_such_key=3']
    assert run_tool(main, argv) == 1
    _one_line(capsys, 'error:', 'model.no_such_key', 'DetectorGAN', "'no_such_key'")
    assert not work_dir.exists()


def test_a_nan_stop_is_one_line_and_its_diverged_checkpoint_is_refused(demo_data, tmp_path,
                                                                      capsys):
    """34.9 and 34.7 as the probe met them: lr 1e38 diverges, then the loss goes NaN."""
    from mmdgan.synthesis.inserter import load_generator
    from tests.test_engine.tiny_cfg import TINY_CONFIG, data_options
    main = _tool('tools/train.py').main
    work_dir = tmp_path / 'work'
    lr = [f'optim_wrapper.{g}.optimizer.lr=1e38'
          for g in ('generators', 'discriminators', 'detector')]
    argv = [str(TINY_CONFIG), '--work-dir', str(work_dir), '--cfg-options',
            *[f'{k}={v}' for k, v in data_options(demo_data).items()], 'train_cfg.max_iters=3',
            'val_cfg=None', 'val_dataloader=None', 'val_evaluator=None', 'custom_hooks=[]',
            'visualizer.name=nan_stop_test', *lr]
    assert run_tool(main, argv) == 1
    err = capsys.readouterr().err
    assert 'Traceback' not in err
    assert err.strip().splitlines()[-1].startswith("stopped: loss term '"), err[-500:]
    # The checkpoint written before the stop holds diverged (finite) weights.
    with pytest.raises(ValueError, match=r"iter_1\.pth: the inserter weight '.*' is 1e\+38"):
        load_generator(str(TINY_CONFIG), str(work_dir / 'iter_1.pth'), 'inserter')


# 34.10 --------------------------------------------------------------------------------------
@pytest.mark.parametrize('escape', ['../../../../etc/passwd', '/etc/passwd'])
def test_coco_file_name_outside_the_dataset_is_refused(demo_data, tmp_path, escape, capsys):
    coco = json.loads((demo_data / 'clean_train.json').read_text())
    coco['images'] = [dict(coco['images'][0], file_name=escape)]
    clean = tmp_path / 'clean_train.json'
    clean.write_text(json.dumps(coco))
    main = _tool('tools/synthesize.py').main
    argv = ['--method', 'copy-paste', '--labelled', str(demo_data / 'train.json'), '--clean',
            str(clean), '--num', '1', '--out', str(tmp_path / 'syn'), '--no-progress']
    assert run_tool(main, argv) == 1
    _one_line(capsys, 'error:', 'clean_train.json', escape, '--allow-outside-root')
    # The explicit opt-in reads it (and then finds /etc/passwd is no image).
    assert run_tool(main, argv + ['--allow-outside-root']) == 1
    assert '--allow-outside-root' not in capsys.readouterr().err
    assert not (tmp_path / 'syn').exists()


def test_voc_filename_outside_jpegimages_is_refused(tmp_path):
    _voc(tmp_path / 'src', {'a': 'a.jpg', 'b': '../../secret.jpg'})
    with pytest.raises(ValueError, match=r"b\.xml: file_name '\.\./\.\./secret\.jpg' leads "
                                         'outside'):
        convert_voc(tmp_path / 'src', tmp_path / 'out', classes=['person'])
    with pytest.raises(FileNotFoundError, match='secret.jpg not found'):
        convert_voc(tmp_path / 'src', tmp_path / 'out', classes=['person'],
                    allow_outside_root=True)


# 34.11 --------------------------------------------------------------------------------------
def test_sigterm_inside_config_formatting_ends_as_an_interrupt(monkeypatch, capsys):
    """mmengine's pretty_text turns the interrupt into 'Failed to format the config file'."""
    import yapf.yapflib.yapf_api as yapf_api

    def killed(*args, **kwargs):
        raise KeyboardInterrupt('signal 15')

    monkeypatch.setattr(yapf_api, 'FormatCode', killed)
    import mmengine.config.config as mm_config
    monkeypatch.setattr(mm_config, 'FormatCode', killed)

    def save(argv):
        return Config.fromfile(GAN_CONFIG).pretty_text  # what every checkpoint save runs

    assert run_tool(save, []) == 130
    assert capsys.readouterr().err == 'interrupted\n'
