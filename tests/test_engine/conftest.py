"""Fixtures of the engine tests: the tiny DetectorGAN config on the demo data."""
import pytest

from tests.test_engine.tiny_cfg import load_tiny_cfg


@pytest.fixture
def tiny_cfg(demo_data, tmp_path):
    """The tiny config with a fresh work dir."""
    return load_tiny_cfg(demo_data, tmp_path / 'work')
