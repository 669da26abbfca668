"""Resuming a training step whose recorded checkpoint is gone."""
from mmengine.runner.checkpoint import find_latest_checkpoint

from mmdgan.utils.tool_runner import last_checkpoint, repair_resume_marker


def _marker(work_dir, name):
    (work_dir / 'last_checkpoint').write_text(str(work_dir / name))


def test_marker_to_a_missing_checkpoint_moves_to_the_newest_survivor(tmp_path):
    for name in ('iter_100.pth', 'iter_300.pth', 'iter_1000.pth.tmp', 'best.pth'):
        (tmp_path / name).write_bytes(b'x')
    _marker(tmp_path, 'iter_1200.pth')
    message = repair_resume_marker(tmp_path)
    assert 'iter_1200.pth is missing' in message and 'iter_300.pth' in message
    # What mmengine's --resume reads now exists (it was a missing file before).
    assert find_latest_checkpoint(str(tmp_path)) == str(tmp_path / 'iter_300.pth')
    assert last_checkpoint(tmp_path) == tmp_path / 'iter_300.pth'


def test_marker_with_no_checkpoint_left_is_removed(tmp_path):
    _marker(tmp_path, 'iter_200.pth')
    assert find_latest_checkpoint(str(tmp_path)).endswith('iter_200.pth')  # the trap
    assert 'starting over' in repair_resume_marker(tmp_path)
    assert not (tmp_path / 'last_checkpoint').exists()
    assert find_latest_checkpoint(str(tmp_path)) is None


def test_a_sound_or_absent_marker_is_left_alone(tmp_path):
    assert repair_resume_marker(tmp_path) is None
    (tmp_path / 'iter_200.pth').write_bytes(b'x')
    _marker(tmp_path, 'iter_200.pth')
    before = (tmp_path / 'last_checkpoint').read_text()
    assert repair_resume_marker(tmp_path) is None
    assert (tmp_path / 'last_checkpoint').read_text() == before
