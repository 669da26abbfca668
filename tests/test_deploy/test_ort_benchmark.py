import os

import numpy as np
import onnx
import pytest
import torch
from deploy_helpers import TINY_CONFIG, load_cli

from mmdgan.deploy.benchmark import PeakRss, benchmark, conv_macs, format_report
from mmdgan.deploy.cpu_peak import cpu_peak, fma_peak_gflops


def test_conv_macs_match_torch_hooks(tiny_export, tiny_generator, inputs):
    path, _ = tiny_export
    images, masks = inputs(1, 64, 64)
    counted = []

    def hook(module, args, output):
        counted.append(output.numel() * module.weight[0].numel())
    handles = [m.register_forward_hook(hook) for m in tiny_generator.modules()
               if isinstance(m, torch.nn.Conv2d)]
    with torch.no_grad():
        tiny_generator(torch.from_numpy(images), torch.from_numpy(masks))
    for handle in handles:
        handle.remove()
    assert conv_macs(onnx.load(str(path)), images, masks) == sum(counted)


def test_peak_rss_sees_native_allocations():
    if not os.access('/proc/self/clear_refs', os.W_OK):
        pytest.skip('the RSS peak cannot be reset here (/proc/self/clear_refs), so '
                    'PeakRss reports None by design')
    with PeakRss() as peak:
        block = np.ones(64 * 2**20 // 8)  # 64 MiB, touched
        del block
    # Issue 13.10: None used to pass where a value must be measured.
    assert peak.value is not None and peak.value > 48


def test_benchmark_tiny(tmp_path, capsys):
    report = benchmark(str(TINY_CONFIG), size=32, warmup=1, repeats=4,
                       backends=['torch', 'ort-fp32', 'ort-int8'], threads=1,
                       work_dir=str(tmp_path), peak_gflops=True)
    assert [r['backend'] for r in report['results']] == ['torch', 'ort-fp32', 'ort-int8']
    for result in report['results']:
        assert result['img_per_s'] > 0 and len(result['samples']) == 4
        assert result['gflop_per_s'] > 0 and result['fraction_of_peak'] > 0
    by_name = {r['backend']: r for r in report['results']}
    assert by_name['ort-fp32']['psnr_vs_fp32'] is None
    assert by_name['ort-fp32']['speedup_vs_ort_fp32'] == 1.0
    assert by_name['torch']['psnr_vs_fp32'] > 60  # eager and ORT fp32 agree
    assert report['gflop_per_img'] > 0 and report['cpu_peak_gflops'] > 0
    assert report['cpu_peak_yardstick'] in ('fma', 'sgemm')
    assert (tmp_path / 'inserter_int8.onnx').is_file()
    assert report['cores'] >= 1 and report['load_average'] >= 0
    # Busy cores are named in the report, not hidden in its times.
    busy = dict(report, cores=2, load_average=2.9, threads=2)
    assert 'warning: load average 2.9 on 2 cores' in format_report(busy)
    assert 'use --threads 1' in format_report(busy)
    assert 'load average' not in format_report(dict(report, cores=2, load_average=0.2,
                                                    threads=2))

    main = load_cli('benchmark').main
    assert main([str(tmp_path / 'inserter_fp32.onnx'), '--size', '32', '--warmup', '0',
                 '--repeats', '1', '--backends', 'ort-fp32', '--threads', '1']) == 0
    out = capsys.readouterr().out
    assert 'ort-fp32' in out and '%peak: not measured' in out
    assert main([str(tmp_path / 'inserter_fp32.onnx'), '--backends', 'torch']) == 1
    assert 'backend torch needs a DetectorGAN config' in capsys.readouterr().err


CPUINFO = """processor\t: 0
flags\t\t: fpu sse2 avx fma avx2 {extra}
cpu MHz\t\t: 2299.998
processor\t: 1
flags\t\t: fpu sse2 avx fma avx2 {extra}
cpu MHz\t\t: 2400.000
"""


def test_fma_peak_from_the_cpu_description():
    gflops, text = fma_peak_gflops(2, CPUINFO.format(extra='avx512f avx512bw'), max_khz=None)
    # 16 lanes x 2 FLOP/FMA x 2 units x 2.4 GHz (the fastest core) x 2 threads.
    assert abs(gflops - 16 * 2 * 2 * 2.4 * 2) < 1e-6 and 'avx512f' in text
    gflops, text = fma_peak_gflops(1, CPUINFO.format(extra=''), max_khz=3.5e6)
    assert abs(gflops - 8 * 2 * 2 * 3.5) < 1e-6 and 'cpuinfo_max_freq' in text
    assert fma_peak_gflops(1, 'flags\t: fpu sse2 avx\ncpu MHz\t: 2000\n') is None


def test_cpu_peak_is_the_larger_estimate():
    peak = cpu_peak(threads=2, n=128, repeats=2)
    assert peak.sgemm_gflops > 0
    assert peak.gflops == max(peak.sgemm_gflops, peak.fma_gflops or 0)
    assert peak.yardstick == ('fma' if peak.gflops == peak.fma_gflops else 'sgemm')
    assert 'single-thread 128^2 sgemm x 2 threads' in peak.description


def test_benchmark_local_crop_inserter(tmp_path):
    """The crop network is timed with the windows cropped and pasted around it."""
    report = benchmark(str(TINY_CONFIG), size=48, warmup=0, repeats=1,
                       backends=['torch', 'ort-fp32'], threads=1, work_dir=str(tmp_path),
                       cfg_options={'model.local_crop': dict(crop_size=16, context=2.0,
                                                             min_window=8)})
    by_name = {r['backend']: r for r in report['results']}
    assert by_name['torch']['psnr_vs_fp32'] > 60
    assert report['gflop_per_img'] > 0
