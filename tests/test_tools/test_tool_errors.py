"""Expected input errors end the tools with one line naming the file or option (issue 13.7)."""
import importlib.util
import signal
from pathlib import Path

import pytest

from mmdgan.fileio import OutputDir
from mmdgan.utils.cli import run_tool, sigterm_as_interrupt

REPO = Path(__file__).resolve().parents[2]
GAN_CONFIG = str(REPO / 'configs' / 'dgan_retinanet-r18_1xb2-20it_demo.py')


def _tool(path):
    spec = importlib.util.spec_from_file_location(Path(path).stem + '_tool', REPO / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def bad_checkpoints(tmp_path):
    random = tmp_path / 'random.pth'
    random.write_bytes(bytes(range(256)) * 4)
    truncated = tmp_path / 'truncated.pth'
    import torch
    torch.save({'state_dict': {'generator_x.w': torch.zeros(100)}}, truncated)
    truncated.write_bytes(truncated.read_bytes()[:300])
    return [random, truncated]


def _one_error_line(capsys, *names):
    err = capsys.readouterr().err.strip()
    assert err.startswith('error: ') and '\n' not in err and 'Traceback' not in err, err
    for name in names:
        assert name in err, err
    return err


def test_synthesize_names_a_bad_checkpoint(bad_checkpoints, demo_data, tmp_path, capsys):
    main = _tool('tools/synthesize.py').main
    for ckpt in bad_checkpoints:
        argv = [GAN_CONFIG, str(ckpt), '--clean', str(demo_data / 'clean_train.json'),
                '--num', '1', '--out', str(tmp_path / 'syn'), '--no-progress',
                '--cfg-options', f'train_dataloader.dataset.data_root={demo_data}']
        assert run_tool(main, argv) == 1
        _one_error_line(capsys, str(ckpt), 'not a readable checkpoint')
        with pytest.raises(ValueError, match='not a readable checkpoint'):
            run_tool(main, argv + ['--debug'])
    assert not (tmp_path / 'syn').exists()


def test_export_names_a_bad_checkpoint(bad_checkpoints, tmp_path, capsys):
    main = _tool('deploy/export_onnx.py').main
    for ckpt in bad_checkpoints:
        assert main([GAN_CONFIG, str(ckpt), '--out', str(tmp_path / 'g.onnx')]) == 1
        _one_error_line(capsys, str(ckpt), 'not a readable checkpoint')
    assert not (tmp_path / 'g.onnx').exists()


@pytest.mark.parametrize('num', ['0', '-3'])
def test_synthesize_rejects_num_before_loading_anything(num, capsys):
    main = _tool('tools/synthesize.py').main
    with pytest.raises(SystemExit) as info:
        main(['missing_config.py', 'missing.pth', '--clean', 'x.json', '--num', num,
              '--out', 'o'])
    assert info.value.code == 2
    assert f'argument --num: must be >= 1, got {num}' in capsys.readouterr().err


def test_train_prints_one_line_for_input_errors(tmp_path, capsys):
    main = _tool('tools/train.py').main
    assert run_tool(main, [str(tmp_path / 'nope.py')]) == 1
    _one_error_line(capsys, 'config file not found', 'nope.py')


def test_sigterm_cleans_up_like_ctrl_c(tmp_path):
    """Issue 13.3: SIGTERM unwinds the tool, so its temp folder goes."""
    old = signal.getsignal(signal.SIGTERM)
    sigterm_as_interrupt()
    try:
        with pytest.raises(KeyboardInterrupt):
            with OutputDir(tmp_path / 'out') as tmp:
                (tmp / 'half.png').write_bytes(b'x')
                signal.raise_signal(signal.SIGTERM)
    finally:
        signal.signal(signal.SIGTERM, old)
    assert list(tmp_path.iterdir()) == []


def test_test_tool_prints_one_line_for_a_missing_checkpoint(tmp_path, capsys):
    main = _tool('tools/test.py').main
    assert run_tool(main, [GAN_CONFIG, str(tmp_path / 'gone.pth')]) == 1
    _one_error_line(capsys, 'checkpoint not found', 'gone.pth')
