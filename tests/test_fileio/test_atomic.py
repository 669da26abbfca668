"""mmdgan.fileio.atomic: the one atomic-write primitive."""
import json
import os
import stat

import pytest

from mmdgan.fileio import atomic_path, write_bytes_atomic, write_json_atomic


@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    yield
    os.umask(old)


def test_written_files_follow_the_umask(tmp_path, umask_027):
    write_json_atomic({'b': 1, 'a': [1, 2]}, tmp_path / 'sub' / 'x.json')
    path = tmp_path / 'sub' / 'x.json'
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert path.read_text() == json.dumps({'a': [1, 2], 'b': 1}, indent=1, sort_keys=True)


def test_failure_leaves_neither_destination_nor_temp(tmp_path):
    with pytest.raises(RuntimeError, match='boom'):
        with atomic_path(tmp_path / 'model.onnx') as tmp:
            assert tmp.parent == tmp_path and tmp.name.endswith('.onnx')
            tmp.write_bytes(b'half')
            raise RuntimeError('boom')
    assert list(tmp_path.iterdir()) == []


def test_replaces_an_existing_file_whole(tmp_path):
    path = tmp_path / 'a.bin'
    write_bytes_atomic(b'old', path)
    write_bytes_atomic(b'new', path)
    assert path.read_bytes() == b'new' and [p.name for p in tmp_path.iterdir()] == ['a.bin']
