"""mmdgan.fileio.output_dir: whole folders appear at once; stale temp folders go."""
import os
import stat
import subprocess
import sys

import pytest

from mmdgan.fileio import MARKER, OutputDir, holds_only, read_marker, remove_stale_temp_dirs


def _own(path):
    return holds_only(path, ['data.txt'], ['data.txt'])


def test_folder_appears_only_when_complete(tmp_path):
    out = tmp_path / 'out'
    with pytest.raises(RuntimeError):
        with OutputDir(out) as tmp:
            (tmp / 'data.txt').write_text('half')
            raise RuntimeError('killed')
    assert list(tmp_path.iterdir()) == []
    old = os.umask(0o022)
    try:
        with OutputDir(out) as tmp:
            (tmp / 'data.txt').write_text('whole')
    finally:
        os.umask(old)
    assert (out / 'data.txt').read_text() == 'whole'
    assert stat.S_IMODE(out.stat().st_mode) == 0o755
    assert [p.name for p in tmp_path.iterdir()] == ['out']


def test_replaces_only_its_own_output(tmp_path):
    out = tmp_path / 'out'
    with OutputDir(out, is_own=_own) as tmp:
        (tmp / 'data.txt').write_text('old')
    with pytest.raises(FileExistsError, match='pass --overwrite'):
        OutputDir(out, is_own=_own)
    with OutputDir(out, overwrite=True, is_own=_own) as tmp:
        (tmp / 'data.txt').write_text('new')
    assert (out / 'data.txt').read_text() == 'new'
    (out / 'notes.md').write_text('mine')
    with pytest.raises(FileExistsError, match='refusing to replace'):
        OutputDir(out, overwrite=True, is_own=_own)
    file_out = tmp_path / 'file'
    file_out.write_text('x')
    with pytest.raises(FileExistsError, match='not a folder'):
        OutputDir(file_out, overwrite=True, is_own=_own)


def test_stale_temp_folders_of_dead_runs_are_removed(tmp_path):
    out = tmp_path / 'out'
    dead = subprocess.run([sys.executable, '-c', 'import os; print(os.getpid())'],
                          capture_output=True, text=True, check=True).stdout.strip()
    stale = tmp_path / f'.out.tmp-{dead}-abc'
    stale.mkdir()
    (stale / 'half.png').write_bytes(b'x')
    alive = tmp_path / f'.out.tmp-{os.getpid()}-def'  # a run still going: kept
    alive.mkdir()
    other = tmp_path / f'.other.tmp-{dead}-ghi'  # another output's: kept
    other.mkdir()
    with OutputDir(out) as tmp:
        (tmp / 'data.txt').write_text('x')
    assert not stale.exists() and alive.exists() and other.exists()
    assert remove_stale_temp_dirs(out) == []


def test_overwrite_needs_the_marker_of_the_same_kind(tmp_path):
    """Issue 34.3: a folder is replaced only if a tool of the project wrote it (its marker)."""
    hand_made = tmp_path / 'hand'
    hand_made.mkdir()
    (hand_made / 'data.txt').write_text('mine')
    with pytest.raises(FileExistsError, match=f'refusing to replace .*hand.*no {MARKER}'):
        OutputDir(hand_made, overwrite=True, is_own=_own, what='data folder')
    assert (hand_made / 'data.txt').read_text() == 'mine'
    out = tmp_path / 'out'
    with OutputDir(out, what='data folder') as tmp:
        (tmp / 'data.txt').write_text('x')
    assert read_marker(out) == dict(tool='mmdgan', kind='data folder')
    with pytest.raises(FileExistsError, match="the 'data folder'"):
        OutputDir(out, overwrite=True, what='synthetic dataset')
    OutputDir(out, overwrite=True, is_own=_own, what='data folder')  # accepted
