"""Tiny generators and their ONNX exports, shared by the deployment tests."""
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from deploy_helpers import make_tiny_generator

from mmdgan.deploy import export_generator
from mmdgan.deploy.inputs import box_masks, synthetic_images


@pytest.fixture(scope='session')
def tiny_generator():
    return make_tiny_generator()


@pytest.fixture(scope='session')
def tiny_export(tiny_generator, tmp_path_factory):
    """``(path, report)`` of the tiny generator exported once with dynamo."""
    path = tmp_path_factory.mktemp('export') / 'tiny.onnx'
    report = export_generator(tiny_generator, path)
    return path, report


@pytest.fixture
def inputs():
    """A callable ``(batch, height, width, channels=1) -> (images, masks)``."""
    rng = np.random.default_rng(0)

    def make(batch, height, width, channels=1):
        return (synthetic_images(rng, batch, channels, height, width),
                box_masks(rng, batch, height, width))
    return make


@pytest.fixture(scope='session')
def clean_images_dir(tmp_path_factory) -> Path:
    """Eight grayscale 64x64 PNGs, like a folder of clean films."""
    folder = tmp_path_factory.mktemp('clean')
    images = synthetic_images(np.random.default_rng(3), 8, 1, 64, 64)
    for i, image in enumerate(images):
        cv2.imwrite(str(folder / f'clean_{i:02d}.png'),
                    np.round((image[0] + 1) * 127.5).astype(np.uint8))
    return folder


@pytest.fixture
def torch_output(tiny_generator):
    """Eager output of the tiny generator on numpy inputs."""
    def run(images, masks):
        with torch.no_grad():
            return tiny_generator(torch.from_numpy(images), torch.from_numpy(masks)).numpy()
    return run
