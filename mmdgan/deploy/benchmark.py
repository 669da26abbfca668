"""Throughput, latency, memory and FLOP rate of the generator on each backend.

Timing follows mmdet's ``benchmark.py``: warm-up iterations, then timed
iterations, reported by their median (robust on a machine shared with other
jobs). Backends are timed interleaved, one call each per iteration, and the
speed-up over ORT fp32 is the median of the per-iteration ratios: a load
change on a shared machine then hits both sides of the ratio alike.

Peak memory is the rise of the process's resident-set high-water mark
(``VmHWM`` in ``/proc/self/status``), reset before each backend is built by
writing ``5`` to ``/proc/self/clear_refs`` (after ``malloc_trim``, so that
freed heap is not silently reused). ``tracemalloc`` would miss most of it: it
sees only Python allocations, not ORT's arena, oneDNN or MLAS buffers. It is
the memory the backend *adds* to this process (model, arena, activations);
PyTorch's CPU allocator and ORT's arena reuse memory, so the figures are
indicative; run one backend per process for a clean absolute number.

FLOPs count convolutions only (2 FLOPs per multiply-accumulate; bias, norms
and activations excluded, as fvcore and mmcv's counters do), from the ONNX
graph: each Conv's output size is read from one run of the fp32 model with
the Conv outputs exposed, times ``C_in/groups * kH * kW`` from its weight.

The CPU's fp32 peak (``peak_gflops``) is a roof the backends cannot exceed:
the larger of the cores' FMA peak from ``/proc/cpuinfo`` and the best
single-thread sgemm times the thread count (:mod:`mmdgan.deploy.cpu_peak`);
the report names the one used.
"""
import os
import statistics
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper

from mmdgan.structures import mask_shape_from_config
from mmdgan.utils import load_config
from mmdgan.utils.peak_memory import PeakRss
from mmdgan.utils.timing import time_calls

from .cpu_peak import cpu_peak
from .export import export_generator
from .inputs import boxes_to_masks, random_boxes, synthetic_images
from .local_crop import LOCAL_CROP
from .metadata import INPUT_NAMES, mask_shape_of, read_metadata
from .onnx_io import load_onnx
from .ort_inserter import OrtInserter
from .quantize import edited_region, psnr, quantize_model
from .session import cuda_usable, make_session

BACKENDS = ('torch', 'ort-fp32', 'ort-int8', 'ort-fp16')


@dataclass
class BackendResult:
    """Figures of one backend; times in milliseconds, memory in MiB."""
    backend: str
    provider: str
    ms_per_batch: float
    ms_per_img: float
    img_per_s: float
    gflop_per_s: float
    peak_rss_mib: Optional[float]
    psnr_vs_fp32: Optional[float] = None
    speedup_vs_ort_fp32: Optional[float] = None
    fraction_of_peak: Optional[float] = None
    samples: List[float] = field(default_factory=list)


def conv_macs(model: onnx.ModelProto, images: np.ndarray, masks: np.ndarray) -> int:
    """Multiply-accumulates of every Conv of ``model`` on these inputs."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    weights = {init.name: tuple(init.dims) for init in model.graph.initializer}
    convs = [n for n in model.graph.node if n.op_type == 'Conv']
    missing = [n.name for n in convs if n.input[1] not in weights]
    if missing:
        raise ValueError(f'Conv weights are not initializers (quantized model?): {missing[:3]}')
    outputs = {o.name for o in model.graph.output}
    for node in convs:
        if node.output[0] not in outputs:
            model.graph.output.append(
                helper.make_tensor_value_info(node.output[0], TensorProto.FLOAT, None))
    # No optimisation: fused Conv+ReLU nodes would hide the Conv outputs.
    session = make_session(model, 'cpu', optimization='disable')
    names = [o.name for o in session.get_outputs()]
    values = dict(zip(names, session.run(None, dict(zip(INPUT_NAMES, (images, masks))))))
    total = 0
    for node in convs:
        _, c_in_per_group, *kernel = weights[node.input[1]]
        total += values[node.output[0]].size * c_in_per_group * int(np.prod(kernel))
    return total


def _torch_runner(generator: torch.nn.Module, images: np.ndarray, masks: np.ndarray,
                  boxes: List[np.ndarray], threads: int) -> Callable[[], object]:
    from mmdgan.synthesis.inserter import TorchInserter
    inserter = TorchInserter(generator)

    def run() -> np.ndarray:
        torch.set_num_threads(threads)
        with torch.inference_mode():
            return inserter(images, masks, boxes)
    return run


def benchmark(model_or_config: str, checkpoint: Optional[str] = None, size: int = 256,
              batch: int = 1, warmup: int = 5, repeats: int = 20,
              backends: Optional[Sequence[str]] = None, threads: Optional[int] = None,
              peak_gflops: bool = False, which: str = 'inserter', exporter: str = 'dynamo',
              calib_data: Optional[str] = None, num_calib: int = 8,
              providers: Optional[str] = None, optimization: str = 'all',
              work_dir: Optional[str] = None,
              cfg_options: Optional[dict] = None) -> Dict[str, object]:
    """Benchmark the generator on the requested backends.

    Args:
        model_or_config: An fp32 ``.onnx`` export, or a DetectorGAN config
            (the generator is then exported here, with ``checkpoint`` or
            random weights).
        cfg_options: Overrides merged into the config (mmengine style, e.g.
            ``{'model.generator_x.base_channels': 64}``).
        checkpoint: Checkpoint for a config (``None``: random weights).
        size: Square image side.
        batch: Images per call.
        warmup, repeats: Untimed and timed calls per backend.
        backends: Subset of :data:`BACKENDS`; default torch (with a config),
            ort-fp32, ort-int8, and ort-fp16 where CUDA is usable.
        threads: Threads for torch and ORT (default: the CPUs this process may
            use).
        peak_gflops: Also report the fraction of the CPU's fp32 roof
            (:func:`mmdgan.deploy.cpu_peak.cpu_peak`).
        which, exporter: Generator and exporter when exporting a config.
        calib_data: Calibration images for int8 (default: synthetic).
        num_calib: Calibration images for int8.
        providers: ORT providers (``None``: CUDA when usable, else CPU).
        optimization: ORT graph optimisation level.
        work_dir: Where to keep the exported/quantized models (default: a
            temporary folder, removed afterwards).

    Returns:
        A dict with the settings, ``gflop_per_img`` and a list of
        :class:`BackendResult` dicts under ``results``.
    """
    threads = threads or len(os.sched_getaffinity(0))
    load_before = os.getloadavg()[0]
    is_onnx = model_or_config.endswith('.onnx')
    if backends is None:
        backends = (['ort-fp32'] if is_onnx else ['torch', 'ort-fp32']) + ['ort-int8']
        if cuda_usable():
            backends.append('ort-fp16')
    unknown = [b for b in backends if b not in BACKENDS]
    if unknown:
        raise ValueError(f'unknown backends {unknown}; choose from {BACKENDS}')
    if is_onnx and cfg_options:
        raise ValueError('cfg_options apply to a config, not to an .onnx model')
    if is_onnx and 'torch' in backends:
        raise ValueError(f'backend torch needs a DetectorGAN config, got {model_or_config}')

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(work_dir or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        generator = None
        if is_onnx:
            fp32_path = Path(model_or_config)
        else:
            from mmdgan.synthesis.inserter import load_generator
            cfg = load_config(model_or_config)
            cfg.merge_from_dict(cfg_options or {})
            generator = load_generator(cfg, checkpoint, which=which)
            fp32_path = folder / f'{which}_fp32.onnx'
            export_generator(generator, fp32_path, which=which, exporter=exporter,
                             real_size=size, mask_shape=mask_shape_from_config(cfg))
        fp32 = load_onnx(fp32_path)
        meta = read_metadata(fp32, str(fp32_path))
        channels = int(meta['image_channels'])
        rng = np.random.default_rng(0)
        images = synthetic_images(rng, batch, channels, size, size)
        boxes = random_boxes(rng, batch, size, size)
        masks = boxes_to_masks(boxes, size, size, mask_shape_of(meta, str(fp32_path)))
        if meta.get('mode') == LOCAL_CROP:
            # The network runs once per box, on a crop_size window.
            crop = int(meta['crop_size'])
            per_box = conv_macs(fp32, images[:1, :, :crop, :crop], masks[:1, :, :crop, :crop])
            gflop_per_img = 2 * per_box * len(boxes[0]) / 1e9
        else:
            gflop_per_img = 2 * conv_macs(fp32, images[:1], masks[:1]) / 1e9

        paths = {'ort-fp32': fp32_path}
        for mode in ('int8', 'fp16'):
            if f'ort-{mode}' in backends:
                paths[f'ort-{mode}'] = folder / f'{which}_{mode}.onnx'
                quantize_model(fp32_path, paths[f'ort-{mode}'], mode, calib_data,
                               num_calib=num_calib, num_heldout=2, size=size,
                               min_psnr=-np.inf)

        runners, memory, quality = {}, {}, {}
        reference = None
        for name in backends:
            with PeakRss() as peak:
                if name == 'torch':
                    runners[name] = _torch_runner(generator, images, masks, boxes, threads)
                    provider = 'torch-cpu'
                else:
                    inserter = OrtInserter(paths[name], providers=providers,
                                           intra_op_num_threads=threads,
                                           optimization=optimization)
                    runners[name] = lambda ins=inserter: ins(images, masks, boxes)
                    provider = inserter.providers[0]
                output = np.asarray(runners[name]())
                time_calls(runners[name], warmup, 0)
            memory[name] = (peak.value, provider)
            if name == 'ort-fp32':
                reference = output
            quality[name] = output
        samples: Dict[str, List[float]] = {name: [] for name in backends}
        for _ in range(repeats):
            for name in backends:
                samples[name] += time_calls(runners[name], 0, 1)

        roof = cpu_peak(threads) if peak_gflops else None
        results = []
        for name in backends:
            median = statistics.median(samples[name])
            value = None
            if reference is not None and name != 'ort-fp32':
                value = psnr(reference, quality[name],
                             edited_region(images, masks, reference))
            speedup = (statistics.median(f / t for f, t in zip(samples['ort-fp32'],
                                                                samples[name]))
                       if 'ort-fp32' in samples else None)
            fraction = gflop_per_img * batch / median / roof.gflops if roof else None
            results.append(BackendResult(
                name, memory[name][1], median * 1e3, median * 1e3 / batch, batch / median,
                gflop_per_img * batch / median, memory[name][0], value, speedup, fraction,
                [s * 1e3 for s in samples[name]]))
    return dict(model=model_or_config, size=size, batch=batch, channels=channels,
                threads=threads, warmup=warmup, repeats=repeats,
                cores=len(os.sched_getaffinity(0)), load_average=load_before,
                optimization=optimization, gflop_per_img=gflop_per_img,
                cpu_peak_gflops=roof.gflops if roof else None,
                cpu_peak_yardstick=roof.yardstick if roof else None,
                cpu_peak_description=roof.description if roof else None,
                cpu_fma_peak_gflops=roof.fma_gflops if roof else None,
                cpu_sgemm_peak_gflops=roof.sgemm_gflops if roof else None,
                results=[asdict(r) for r in results])


def _load_warning(report: Dict[str, object]) -> List[str]:
    # Worker threads that spin-wait on cores other processes hold ran ~20x slower
    # here (docs/deploy.md): say so rather than print such times as figures.
    load, cores = report.get('load_average'), report.get('cores')
    if load is None or cores is None or load + report['threads'] <= cores + 0.5:
        return []
    return [f'warning: load average {load:.1f} on {cores} cores before this run + '
            f'{report["threads"]} threads: times are not comparable to a quiet machine; '
            f'use --threads {max(1, int(cores - load))} or a quiet machine']


def format_report(report: Dict[str, object]) -> str:
    """A plain-text table of :func:`benchmark`'s result."""
    peak = report['cpu_peak_gflops']
    lines = [f"{report['model']}: {report['batch']}x{report['channels']}x{report['size']}x"
             f"{report['size']}, {report['threads']} threads, "
             f"{report['gflop_per_img']:.1f} GFLOP/img (conv, 2/MAC)",
             (f"%peak: of the CPU fp32 roof {peak:.0f} GFLOP/s, yardstick "
              f"{report['cpu_peak_yardstick']}: {report['cpu_peak_description']}"
              if peak else '%peak: not measured (--peak-gflops)'),
             'x fp32 is the median of per-iteration ratios (interleaved timing)',
             *_load_warning(report),
             f"{'backend':<10}{'provider':<22}{'ms/img':>9}{'img/s':>8}{'GFLOP/s':>9}"
             f"{'%peak':>7}{'peakRSS MiB':>13}{'PSNR dB':>9}{'x fp32':>8}"]
    for r in report['results']:
        frac = f"{100 * r['fraction_of_peak']:.0f}" if r['fraction_of_peak'] else '-'
        mem = f"{r['peak_rss_mib']:.0f}" if r['peak_rss_mib'] is not None else '-'
        quality = f"{r['psnr_vs_fp32']:.1f}" if r['psnr_vs_fp32'] is not None else '-'
        ratio = f"{r['speedup_vs_ort_fp32']:.2f}" if r['speedup_vs_ort_fp32'] else '-'
        lines.append(f"{r['backend']:<10}{r['provider']:<22}{r['ms_per_img']:>9.1f}"
                     f"{r['img_per_s']:>8.2f}{r['gflop_per_s']:>9.1f}{frac:>7}{mem:>13}"
                     f"{quality:>9}{ratio:>8}")
    above = [r['backend'] for r in report['results'] if (r['fraction_of_peak'] or 0) > 1]
    if above:
        lines.append(f"warning: {', '.join(above)} ran above the roof: the "
                     f"{report['cpu_peak_yardstick']} yardstick underestimates these cores")
    return '\n'.join(lines)
