"""int8 (static, calibrated) and fp16 variants of an exported generator, PSNR-gated.

A variant is written only when its output stays within ``min_psnr`` dB of the
fp32 model on held-out inputs. The PSNR is measured on the *edited region*
(pixels inside the masks, plus any other pixel the fp32 model changed): with
hard compositing every other pixel is a copy of the input in all precisions,
and counting them would inflate the PSNR by the area ratio (~10-20 dB for
typical boxes) and let a broken model through.
"""
import contextlib
import io
import logging
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional, Tuple, Union

import numpy as np
import onnx
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_static,
)

from .float16 import convert_to_fp16
from .inputs import box_masks, list_images, load_images, synthetic_images
from .local_crop import LOCAL_CROP
from .metadata import INPUT_NAMES, mask_shape_of, read_metadata, write_metadata
from .onnx_io import check_onnx_out, load_onnx, save_onnx_atomic
from .session import make_session

MODES = ('int8', 'fp16')
CALIBRATION = {'minmax': CalibrationMethod.MinMax, 'entropy': CalibrationMethod.Entropy,
               'percentile': CalibrationMethod.Percentile}
ModelLike = Union[str, Path, onnx.ModelProto]


@dataclass
class QuantizeReport:
    """Outcome of a gated conversion: PSNRs in dB against the fp32 model."""
    out: str
    mode: str
    psnr: float
    psnr_full_image: float
    num_calib: int
    num_heldout: int


def psnr(reference: np.ndarray, test: np.ndarray, region: Optional[np.ndarray] = None,
         peak_to_peak: float = 2.0) -> float:
    """PSNR in dB of ``test`` against ``reference`` (GAN range: peak-to-peak 2).

    Args:
        reference, test: Arrays of one shape.
        region: Boolean array broadcastable to that shape; only these
            pixels count.
    """
    err = (reference.astype(np.float64) - test.astype(np.float64))**2
    if region is not None:
        err = err[np.broadcast_to(region, err.shape)]
    mse = float(err.mean()) if err.size else 0.0
    return math.inf if mse == 0 else 10 * math.log10(peak_to_peak**2 / mse)


def edited_region(images: np.ndarray, masks: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Pixels the generator may change: inside the masks or changed by fp32."""
    # Any class channel of a class-conditional generator's masks.
    return np.any(masks > 0, axis=1, keepdims=True) | np.any(reference != images, axis=1,
                                                             keepdims=True)


def _run(model: ModelLike, images: np.ndarray, masks: np.ndarray, providers='cpu',
         batch: int = 4) -> np.ndarray:
    session = make_session(str(model) if isinstance(model, Path) else model, providers)
    outputs = [session.run(None, dict(zip(INPUT_NAMES, (images[i:i + batch],
                                                         masks[i:i + batch]))))[0]
               for i in range(0, len(images), batch)]
    return np.concatenate(outputs).astype(np.float32)


def gate_candidate(reference: ModelLike, candidate: ModelLike, images: np.ndarray,
                   masks: np.ndarray, min_psnr: float, label: str,
                   providers='cpu') -> Tuple[float, float]:
    """PSNR of a candidate against the fp32 model; raise when below the gate.

    Returns:
        ``(psnr on the edited region, psnr on whole images)``.

    Raises:
        ValueError: If the edited-region PSNR is below ``min_psnr``.
    """
    expected = _run(reference, images, masks, providers)
    got = _run(candidate, images, masks, providers)
    region_psnr = psnr(expected, got, edited_region(images, masks, expected))
    full_psnr = psnr(expected, got)
    if not region_psnr >= min_psnr:
        raise ValueError(f'{label} model refused: PSNR {region_psnr:.2f} dB < {min_psnr:g} dB '
                         f'vs fp32 inside the boxes on {len(images)} held-out inputs '
                         f'(whole image {full_psnr:.2f} dB); nothing written')
    return region_psnr, full_psnr


def heldout_inputs(channels: int, source: Optional[str], num: int, size: int,
                   offset: int, seed: int = 1, mask_shape: str = 'box',
                   num_classes: int = 1) -> Tuple[np.ndarray, np.ndarray]:
    """Images (from ``source`` after ``offset``, or synthetic) and masks of random
    boxes drawn as ``mask_shape``; for a class-conditional generator
    (``num_classes`` > 1) each image's boxes go to a random class channel, so
    every channel is calibrated and gated."""
    rng = np.random.default_rng(seed + offset)
    if source is None:
        images = synthetic_images(rng, num, channels, size, size)
    else:
        files = list_images(source)[offset:offset + num]
        if not files:
            raise ValueError(f'{source}: no images left for held-out checks after the '
                             f'first {offset}; pass more images or a smaller --num-calib')
        images = load_images(files, channels, size)
    masks = box_masks(rng, len(images), size, size, shape=mask_shape)
    if num_classes > 1:
        onehot = np.eye(num_classes, dtype=masks.dtype)[rng.integers(num_classes, size=len(masks))]
        masks = masks * onehot[:, :, None, None]
    return images, masks


@contextlib.contextmanager
def _quiet_root_logger():
    """Mute the quantizer's root-logger advice and its calibrators' prints."""
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        logging.disable(previous)


class BoxMaskReader(CalibrationDataReader):
    """Feeds clean images with random box masks to ORT's calibrator, one at a time.

    ``set_range`` lets ORT calibrate in strides (``CalibStridedMinMax``): the
    histogram calibrators keep every intermediate tensor of a stride in
    memory (~250 MB per 256x256 image for the 64-wide generator).
    """

    def __init__(self, images: np.ndarray, masks: np.ndarray) -> None:
        self.samples = [dict(zip(INPUT_NAMES, (images[i:i + 1], masks[i:i + 1])))
                        for i in range(len(images))]
        self.set_range(0, len(self.samples))

    def __len__(self) -> int:
        return len(self.samples)

    def set_range(self, start_index: int, end_index: int) -> None:
        self.index, self.stop = start_index, min(end_index, len(self.samples))

    def get_next(self) -> Optional[Dict[str, np.ndarray]]:
        if self.index >= self.stop:
            return None
        self.index += 1
        return self.samples[self.index - 1]


def quantize_int8(model: onnx.ModelProto, images: np.ndarray, masks: np.ndarray,
                  calibration: str = 'percentile', keep_fp32_ends: bool = True,
                  stride: int = 4) -> onnx.ModelProto:
    """Static QDQ int8: per-channel int8 weights, uint8 activations, Conv only.

    Only convolutions are quantized: they hold ~all the FLOPs, and leaving the
    composite (``w * generated + (1 - w) * img``) in float keeps every pixel
    outside the boxes bit-identical to the input. ``keep_fp32_ends`` leaves
    the first convolution (its input is a binary mask beside the image) and
    the last one (it writes the pixels) in fp32: ~1 % of the FLOPs, worth
    ~2 dB of PSNR on the 64-wide generator.

    Args:
        model: fp32 model.
        images, masks: Calibration inputs.
        calibration: ``'minmax' | 'entropy' | 'percentile'`` (99.999th).
        keep_fp32_ends: Keep the first and last Conv in fp32.
        stride: Images per calibration stride (bounds calibration memory).
    """
    if calibration not in CALIBRATION:
        raise ValueError(f'calibration must be one of {sorted(CALIBRATION)}, '
                         f'got {calibration!r}')
    convs = [node.name for node in model.graph.node if node.op_type == 'Conv']
    if not convs:
        raise ValueError('model has no Conv node to quantize')
    if any(not name for name in convs):
        raise ValueError('model has unnamed Conv nodes; re-export it with deploy/export_onnx.py')
    exclude = [convs[0], convs[-1]] if keep_fp32_ends and len(convs) > 2 else []
    # ORT calibrates stride by stride only when the stride divides the count.
    stride = max(d for d in range(1, min(stride, len(images)) + 1) if len(images) % d == 0)
    with tempfile.TemporaryDirectory() as tmp, _quiet_root_logger():
        src, dst = Path(tmp) / 'fp32.onnx', Path(tmp) / 'int8.onnx'
        onnx.save(model, str(src))
        quantize_static(
            str(src), str(dst), BoxMaskReader(images, masks), quant_format=QuantFormat.QDQ,
            op_types_to_quantize=['Conv'], per_channel=True, nodes_to_exclude=exclude,
            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
            calibrate_method=CALIBRATION[calibration],
            extra_options={'CalibStridedMinMax': stride})
        return onnx.load(str(dst))


def quantize_model(fp32_model: Union[str, Path], out: Union[str, Path], mode: str,
                   calib_data: Optional[str] = None, num_calib: int = 32,
                   num_heldout: int = 8, min_psnr: float = 30.0, size: int = 256,
                   calibration: str = 'percentile', keep_fp32_ends: bool = True,
                   seed: int = 0) -> QuantizeReport:
    """Make an int8 or fp16 variant of an exported fp32 generator, gated by PSNR.

    Args:
        fp32_model: fp32 ``.onnx`` made by ``deploy/export_onnx.py``.
        out: Destination file; written only if the gate passes.
        mode: ``'int8'`` or ``'fp16'``.
        calib_data: Folder of clean images or a clean COCO json. The first
            ``num_calib`` images calibrate int8, the next ``num_heldout``
            ones gate the result. ``None``: synthetic film-like images
            (benchmarks only).
        num_calib: Calibration images (int8).
        num_heldout: Held-out images for the PSNR gate.
        min_psnr: Gate in dB (edited region, against fp32).
        size: Images are resized to ``size x size`` (a local-crop model is
            calibrated and gated at its own ``crop_size`` instead: its network
            only ever sees window crops of that size).
        calibration: ``'minmax' | 'entropy' | 'percentile'``.
        keep_fp32_ends: Keep the first and last Conv in fp32 (int8).
        seed: Seed of the box masks (and synthetic images).
    """
    if mode not in MODES:
        raise ValueError(f'mode must be one of {MODES}, got {mode!r}')
    check_onnx_out(out, inputs=[fp32_model])
    model = load_onnx(fp32_model)
    meta = read_metadata(model, str(fp32_model))
    if meta['precision'] != 'fp32':
        raise ValueError(f'{fp32_model}: precision is {meta["precision"]}, expected an fp32 '
                         'export')
    channels = int(meta['image_channels'])
    num_classes = int(meta.get('num_classes', 1))
    # Calibrate and gate on the masks the generator was trained on.
    mask_shape = mask_shape_of(meta, str(fp32_model))
    if meta.get('mode') == LOCAL_CROP:
        size = int(meta['crop_size'])
    images, masks = heldout_inputs(channels, calib_data, num_heldout, size,
                                   offset=num_calib if calib_data else 10_000, seed=seed,
                                   mask_shape=mask_shape, num_classes=num_classes)
    extra: Dict[str, str] = {'precision': mode}
    if mode == 'int8':
        calib_images, calib_masks = heldout_inputs(channels, calib_data, num_calib, size,
                                                   offset=0, seed=seed, mask_shape=mask_shape,
                                                   num_classes=num_classes)
        candidate = quantize_int8(model, calib_images, calib_masks, calibration,
                                  keep_fp32_ends)
        extra['quantization'] = (f'QDQ static, Conv only{" but first/last" * keep_fp32_ends}, '
                                 'per-channel int8 weights, uint8 activations, '
                                 f'{calibration} on {len(calib_images)} images')
    else:
        calib_images = images[:0]
        candidate = convert_to_fp16(model)
    region_psnr, full_psnr = gate_candidate(model, candidate, images, masks, min_psnr, mode)
    extra['psnr_vs_fp32'] = f'{region_psnr:.2f}'
    write_metadata(candidate, {**meta, **extra})
    save_onnx_atomic(candidate, out)
    return QuantizeReport(str(out), mode, region_psnr, full_psnr, len(calib_images),
                          len(images))
