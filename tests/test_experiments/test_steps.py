"""Resuming a training step whose recorded checkpoint is gone."""
import torch
from mmengine.runner.checkpoint import find_latest_checkpoint

from mmdgan.utils.tool_runner import last_checkpoint, repair_resume_marker


def _marker(work_dir, name):
    (work_dir / 'last_checkpoint').write_text(str(work_dir / name))


def _checkpoint(path, complete=True):
    """A small torch checkpoint; ``complete=False`` cuts it short as a kill during a save does."""
    torch.save(dict(meta=dict(iter=1), state_dict=dict(w=torch.zeros(64))), path)
    if not complete:
        data = path.read_bytes()
        path.write_bytes(data[:len(data) // 2])


def test_marker_to_a_missing_checkpoint_moves_to_the_newest_survivor(tmp_path):
    for name in ('iter_100.pth', 'iter_300.pth', 'iter_1000.pth.tmp', 'best.pth'):
        _checkpoint(tmp_path / name)
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
    _checkpoint(tmp_path / 'iter_200.pth')
    _marker(tmp_path, 'iter_200.pth')
    before = (tmp_path / 'last_checkpoint').read_text()
    assert repair_resume_marker(tmp_path) is None
    assert (tmp_path / 'last_checkpoint').read_text() == before


def test_marker_never_moves_to_a_truncated_checkpoint(tmp_path):
    """Issue 34.5: a kill during a save leaves the newest file cut short; resume the one before."""
    _checkpoint(tmp_path / 'iter_100.pth')
    _checkpoint(tmp_path / 'iter_300.pth', complete=False)
    _marker(tmp_path, 'iter_200.pth')  # deleted before the save that was killed
    message = repair_resume_marker(tmp_path)
    assert 'iter_200.pth is missing' in message and 'resuming from iter_100.pth' in message
    assert last_checkpoint(tmp_path) == tmp_path / 'iter_100.pth'
    _marker(tmp_path, 'iter_300.pth')  # a marker naming the truncated file itself
    assert 'iter_300.pth is truncated' in repair_resume_marker(tmp_path)
    assert last_checkpoint(tmp_path) == tmp_path / 'iter_100.pth'
    assert (tmp_path / 'iter_300.pth').exists()  # left for the next save to replace
    (tmp_path / 'iter_100.pth').unlink()
    _marker(tmp_path, 'iter_300.pth')
    assert 'no other complete checkpoint' in repair_resume_marker(tmp_path)
    assert find_latest_checkpoint(str(tmp_path)) is None
