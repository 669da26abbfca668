"""Export a trained generator to ONNX, refusing any file that does not match PyTorch.

Exporter choice (torch 2.13): both the dynamo exporter (``torch.export``, the
default) and the TorchScript tracer (``dynamo=False``) give a correct model for
``MaskedResnetGenerator`` *since its forward pads unconditionally*: with the
former ``if pad_h or pad_w`` both exporters silently froze the branch taken by
the example input, and the file was wrong (max abs diff ~0.5) for every size
that is not a multiple of ``size_divisor``. The dynamo exporter is the default:
it is the maintained path, records named dynamic dimensions, and emits a
smaller graph (no Constant/Gather/Unsqueeze shape plumbing). Parity is checked
at shapes the example did not have, so such a specialisation cannot pass.
"""
import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

import numpy as np
import onnx
import torch
from mmengine.config import Config

from mmdgan.structures import mask_shape_from_config

from .float16 import convert_to_fp16
from .inputs import boxes_to_masks, random_boxes, real_or_synthetic
from .local_crop import (
    FULL_IMAGE,
    LOCAL_CROP,
    CropNetwork,
    insert_with_crop_runner,
    is_local_crop,
    window_settings,
)
from .metadata import INPUT_NAMES, OUTPUT_NAME, generator_metadata, write_metadata
from .onnx_io import check_onnx_out, save_onnx_atomic
from .quantize import gate_candidate, heldout_inputs
from .session import make_session

EXPORTERS = ('dynamo', 'torchscript')
DEFAULT_OPSET = 18


@dataclass
class ExportReport:
    """What an export checked: ``parity`` maps a case to its max abs diff."""
    out: str
    exporter: str
    opset: int
    precision: str
    parity: Dict[str, float] = field(default_factory=dict)
    psnr: Optional[float] = None
    real_inputs: str = ''


def to_onnx_proto(generator: torch.nn.Module, exporter: str = 'dynamo',
                  opset: int = DEFAULT_OPSET) -> onnx.ModelProto:
    """Trace ``generator`` into an ONNX model with dynamic batch, height, width.

    A ``LocalCropInserter`` is exported as its crop network (raw output on a
    batch of window crops); see :mod:`mmdgan.deploy.local_crop`.

    Args:
        generator: Module with ``forward(img, mask)`` and ``in_channels``, or
            a ``LocalCropInserter``.
        exporter: ``'dynamo'`` (``torch.export``) or ``'torchscript'``.
        opset: ONNX opset.
    """
    if exporter not in EXPORTERS:
        raise ValueError(f'exporter must be one of {EXPORTERS}, got {exporter!r}')
    generator = generator.eval().float().cpu()
    if is_local_crop(generator):
        generator = CropNetwork(generator).eval()
    # Batch 2 and a size that needs padding: an exporter must not
    # specialise on batch 1 or on an already aligned size.
    img = torch.zeros(2, generator.in_channels, 66, 70)
    # One mask channel per class for a class-conditional generator.
    mask = torch.zeros(2, getattr(generator, 'num_classes', 1), 66, 70)
    with warnings.catch_warnings():
        # Tracer warnings about Python checks on shapes: those checks only
        # reject bad inputs and are re-done by OrtInserter.
        warnings.simplefilter('ignore')
        if exporter == 'dynamo':
            batch = torch.export.Dim('batch', min=1, max=4096)
            height = torch.export.Dim('height', min=8, max=16384)
            width = torch.export.Dim('width', min=8, max=16384)
            dims = {0: batch, 2: height, 3: width}
            program = torch.onnx.export(
                generator, (img, mask), dynamo=True, verbose=False,
                input_names=list(INPUT_NAMES), output_names=[OUTPUT_NAME],
                opset_version=opset, dynamic_shapes={'img': dims, 'mask': dims})
            return program.model_proto
        buffer = io.BytesIO()
        axes = {0: 'batch', 2: 'height', 3: 'width'}
        torch.onnx.export(
            generator, (img, mask), buffer, dynamo=False,
            input_names=list(INPUT_NAMES), output_names=[OUTPUT_NAME],
            opset_version=opset,
            dynamic_axes={name: axes for name in (*INPUT_NAMES, OUTPUT_NAME)})
        return onnx.load_from_string(buffer.getvalue())


ParityCase = Tuple[str, np.ndarray, np.ndarray, List[np.ndarray]]


def parity_cases(channels: int, seed: int = 0,
                 real_size: Optional[int] = None) -> Tuple[List[ParityCase], str]:
    """Inputs on which an export must match PyTorch.

    Random images at two batch sizes and two unaligned sizes, and real-looking
    images (demo images when ``data/demo`` exists, else synthetic film-like);
    the boxes include ones on the image border, the masks are theirs.

    Returns:
        ``[(name, images, masks, boxes)]`` and the origin of the real-looking
        images.
    """
    rng = np.random.default_rng(seed)
    cases = []

    def case(name: str, images: np.ndarray) -> ParityCase:
        height, width = images.shape[2:]
        boxes = random_boxes(rng, len(images), height, width)
        # A corner box: its context window reaches outside the image.
        boxes[0] = np.concatenate([boxes[0], np.float32([[0, 0, width // 5 + 1,
                                                          height // 6 + 1]])])
        return name, images, boxes_to_masks(boxes, height, width), boxes

    for batch, height, width in ((1, 64, 64), (3, 45, 38)):
        images = rng.uniform(-1, 1, (batch, channels, height, width)).astype(np.float32)
        cases.append(case(f'random {batch}x{channels}x{height}x{width}', images))
    real, origin = real_or_synthetic(channels, 2, real_size, seed)
    cases.append(case(f'real-looking {"x".join(map(str, real.shape))}', real))
    return cases, origin


@torch.no_grad()
def check_parity(generator: torch.nn.Module, model: onnx.ModelProto,
                 atol: float = 1e-4, real_size: Optional[int] = None) -> Tuple[Dict[str, float],
                                                                                str]:
    """Compare ORT (CPU, full graph optimisation) with eager PyTorch.

    Raises:
        ValueError: If a case differs by more than ``atol``.
    """
    session = make_session(model, 'cpu')
    cases, origin = parity_cases(generator.in_channels, real_size=real_size)
    local = is_local_crop(generator)

    def run(images: np.ndarray, masks: np.ndarray) -> np.ndarray:
        return session.run(None, dict(zip(INPUT_NAMES, (images, masks))))[0]

    diffs = {}
    num_classes = getattr(generator, 'num_classes', 1)
    for name, images, masks, boxes in cases:
        if num_classes > 1:
            # Class-conditional: the boxes as class 0 (channel 0), the others empty.
            onehot = (np.arange(num_classes) == 0).astype(np.float32)
            masks = masks * onehot[None, :, None, None]
        img, mask = torch.from_numpy(images), torch.from_numpy(masks)
        if local:
            expected = generator(img, mask, [torch.from_numpy(b) for b in boxes]).numpy()
            got = insert_with_crop_runner(images, masks, boxes, run, window_settings(generator))
        else:
            expected = generator(img, mask).numpy()
            got = run(images, masks)
        if got.shape != expected.shape:
            raise ValueError(f'parity failed on {name}: ONNX output {got.shape}, '
                             f'PyTorch {expected.shape}; nothing written')
        diffs[name] = float(np.abs(got - expected).max())
        if not diffs[name] <= atol:
            raise ValueError(f'parity failed on {name}: max abs diff {diffs[name]:.3g} > '
                             f'{atol:g}; nothing written')
    return diffs, origin


def export_generator(generator: torch.nn.Module, out: Union[str, Path],
                     which: str = 'inserter', exporter: str = 'dynamo',
                     opset: int = DEFAULT_OPSET, fp16: bool = False, atol: float = 1e-4,
                     min_psnr: float = 30.0, real_size: Optional[int] = None,
                     source: str = '', mask_shape: str = 'box') -> ExportReport:
    """Export, check and atomically write a generator.

    The fp32 graph must match PyTorch within ``atol`` on every parity case;
    with ``fp16`` the converted graph must also reach ``min_psnr`` against the
    fp32 one. Nothing is written at ``out`` when a check fails.

    Args:
        generator: The generator (eval mode is set here).
        out: Destination ``.onnx`` file.
        which: ``'inserter'`` or ``'remover'`` (stored in the metadata).
        exporter: ``'dynamo'`` or ``'torchscript'``.
        opset: ONNX opset.
        fp16: Write an fp16 graph (float32 inputs/outputs).
        atol: Max abs difference allowed in fp32.
        min_psnr: PSNR gate of the fp16 graph in dB.
        real_size: Resize the real-looking parity images to this side.
        source: Checkpoint name recorded in the metadata.
        mask_shape: The masks the generator was trained on (``'box'`` or
            ``'ellipse'``), recorded so that ORT synthesis draws the same.
    """
    check_onnx_out(out)
    generator = generator.eval().float().cpu()
    model = to_onnx_proto(generator, exporter, opset)
    meta = generator_metadata(generator, which, mask_shape, exporter=exporter, opset=opset,
                              source_checkpoint=Path(source).name if source else 'none',
                              mode=LOCAL_CROP if is_local_crop(generator) else FULL_IMAGE)
    if is_local_crop(generator):
        meta.update({k: str(v) for k, v in window_settings(generator).items()})
        meta['size_divisor'] = str(getattr(generator.generator, 'size_divisor', 1))
        meta['outputs'] = 'out (raw network output on window crops, pasted back by mmdgan)'
    write_metadata(model, meta)
    onnx.checker.check_model(model)
    names = [i.name for i in model.graph.input]
    if tuple(names) != INPUT_NAMES:
        raise ValueError(f'exported graph has inputs {names}, expected {list(INPUT_NAMES)} '
                         '(an input the trace did not use?); nothing written')
    diffs, origin = check_parity(generator, model, atol, real_size)
    report = ExportReport(str(out), exporter, opset, 'fp32', diffs, real_inputs=origin)
    if fp16:
        candidate = convert_to_fp16(model)
        write_metadata(candidate, {**meta, 'precision': 'fp16'})
        # A crop network is gated on crops of its own size.
        size = generator.crop_size if is_local_crop(generator) else 64
        images, masks = heldout_inputs(generator.in_channels, None, 4, size, offset=0,
                                       mask_shape=mask_shape,
                                       num_classes=getattr(generator, 'num_classes', 1))
        report.psnr = gate_candidate(model, candidate, images, masks, min_psnr, 'fp16')[0]
        report.precision, model = 'fp16', candidate
    save_onnx_atomic(model, out)
    return report


def export_onnx(config: Union[str, Config], checkpoint: Optional[str], out: Union[str, Path],
                which: str = 'inserter', **kwargs) -> ExportReport:
    """Load a generator from a DetectorGAN config + checkpoint and export it.

    Args:
        config: DetectorGAN config file or object.
        checkpoint: Checkpoint file, or ``None`` / ``'none'`` for random
            weights (benchmarks).
        out: Destination ``.onnx`` file.
        which: ``'inserter'`` (``model.generator_x``) or ``'remover'``.
        **kwargs: Passed to :func:`export_generator`.
    """
    from mmdgan.synthesis.inserter import load_generator

    if checkpoint is not None and str(checkpoint).lower() == 'none':
        checkpoint = None
    check_onnx_out(out, inputs=[checkpoint] if checkpoint else [])
    if checkpoint is not None and not Path(checkpoint).is_file():
        raise FileNotFoundError(f'checkpoint not found: {checkpoint}')
    if not isinstance(config, Config) and not Path(config).is_file():
        raise FileNotFoundError(f'config not found: {config}')
    from mmdgan.utils import load_config

    # load_config: a generic (custom) config resolves its channels and classes.
    cfg = config if isinstance(config, Config) else load_config(str(config))
    generator = load_generator(cfg, checkpoint, which=which, device='cpu')
    return export_generator(generator, out, which=which, source=checkpoint or '',
                            mask_shape=mask_shape_from_config(cfg), **kwargs)
