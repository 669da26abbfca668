"""The CPU's fp32 roof: a yardstick the benchmarked backends cannot exceed.

Two estimates, the larger one is the yardstick (and named in the report):

- ``fma``: the cores' FMA peak from the CPU's own description
  (``/proc/cpuinfo``): fp32 lanes per vector (16 with ``avx512f``, 8 with
  ``avx2`` + ``fma``) x 2 FLOPs per FMA x 2 FMA units per core (the most any
  x86 core of these ISAs has, so an upper bound) x the clock x threads. The
  clock is the cores' maximum (``cpufreq/cpuinfo_max_freq``) where the kernel
  exposes it, else the ``cpu MHz`` of ``/proc/cpuinfo``, which in a virtual
  machine is the nominal clock and can lie below the turbo clock the cores
  actually run at: then the estimate can be beaten.
- ``sgemm``: the best (not the median) of many single-thread ``n x n`` sgemms
  (``torch.matmul``: MKL/oneDNN, ``2 n^3`` FLOPs) times the thread count. One
  thread runs at least at the all-core clock and never waits on a sibling;
  ``n = 512`` keeps the operands in cache and one run near a millisecond, so
  the best of many fits between other jobs' time slices (on the shared
  development machine, under load: 172 GFLOP/s per thread for 512^2, best of
  50, against 83 for 2048^2, best of 5).

The earlier yardstick, a multi-thread sgemm timed beside the backends, could
be beaten on a shared machine (ORT fp32 at 124 % of it): a multi-threaded
sgemm suffers more from busy cores than a conv network does.
"""
import glob
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Tuple

import torch

#: Side of the square sgemm that measures the single-thread rate.
SGEMM_SIZE = 512
#: Single-thread sgemm runs; the fastest counts.
SGEMM_REPEATS = 100
#: FMA units per core assumed by the ``fma`` estimate (an upper bound).
FMA_UNITS = 2


@dataclass
class CpuPeak:
    """The yardstick and both estimates, in GFLOP/s for ``threads`` threads."""
    gflops: float
    yardstick: str
    description: str
    fma_gflops: Optional[float]
    sgemm_gflops: float


def fma_peak_gflops(threads: int, cpuinfo: Optional[str] = None,
                    max_khz: Optional[float] = None) -> Optional[Tuple[float, str]]:
    """FMA peak of ``threads`` cores from the CPU's description.

    Args:
        threads: Cores used.
        cpuinfo: Text of ``/proc/cpuinfo`` (default: read it).
        max_khz: Maximum core clock in kHz (default: ``cpuinfo_max_freq`` of
            the kernel's cpufreq, when present).

    Returns:
        ``(GFLOP/s, how it was computed)``, or ``None`` where the description
        lacks the flags (no AVX2+FMA) or a clock.
    """
    if cpuinfo is None:
        try:
            cpuinfo = Path('/proc/cpuinfo').read_text()
        except OSError:
            return None
    flags, mhz = set(), []
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(':')
        if key.strip() == 'flags' and not flags:
            flags = set(value.split())
        elif key.strip() == 'cpu MHz':
            mhz.append(float(value))
    if 'avx512f' in flags:
        isa, lanes = 'avx512f', 16
    elif {'avx2', 'fma'} <= flags:
        isa, lanes = 'avx2+fma', 8
    else:
        return None
    if max_khz is None:
        max_khz = _cpufreq_max_khz()
    if max_khz:
        clock_mhz, clock = max_khz / 1e3, 'cpuinfo_max_freq'
    elif mhz:
        clock_mhz, clock = max(mhz), '/proc/cpuinfo cpu MHz'
    else:
        return None
    gflops = lanes * 2 * FMA_UNITS * clock_mhz * threads / 1e3
    return gflops, (f'{isa}: {lanes} fp32 lanes x 2 FLOP/FMA x {FMA_UNITS} FMA units x '
                    f'{clock_mhz:.0f} MHz ({clock}) x {threads} threads')


def _cpufreq_max_khz() -> Optional[float]:
    values = []
    for path in glob.glob('/sys/devices/system/cpu/cpu[0-9]*/cpufreq/cpuinfo_max_freq'):
        try:
            values.append(float(Path(path).read_text()))
        except (OSError, ValueError):
            continue
    return max(values) if values else None


def sgemm_peak_gflops(threads: int, n: int = SGEMM_SIZE,
                      repeats: int = SGEMM_REPEATS) -> float:
    """Best single-thread ``n x n`` sgemm rate of ``repeats`` runs, times ``threads``."""
    if repeats < 1:
        raise ValueError(f'repeats must be >= 1, got {repeats}')
    a, b = torch.randn(n, n), torch.randn(n, n)
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.matmul(a, b)  # warm-up: MKL's first call allocates
        best = float('inf')
        for _ in range(repeats):
            start = time.perf_counter()
            torch.matmul(a, b)
            best = min(best, time.perf_counter() - start)
    finally:
        torch.set_num_threads(previous)
    return 2 * n**3 / best / 1e9 * threads


def cpu_peak(threads: Optional[int] = None, n: int = SGEMM_SIZE,
             repeats: int = SGEMM_REPEATS) -> CpuPeak:
    """The larger of the ``fma`` and ``sgemm`` estimates, and which one it is.

    Args:
        threads: Threads the benchmarked backends use (default: the CPUs this
            process may run on).
        n, repeats: Size and repetitions of the single-thread sgemm.
    """
    threads = threads or len(os.sched_getaffinity(0))
    sgemm = sgemm_peak_gflops(threads, n, repeats)
    sgemm_text = (f'best of {repeats} single-thread {n}^2 sgemm x {threads} threads '
                  f'= {sgemm:.0f} GFLOP/s')
    fma = fma_peak_gflops(threads)
    if fma is None:
        return CpuPeak(sgemm, 'sgemm', f'{sgemm_text}; no FMA description in /proc/cpuinfo',
                       None, sgemm)
    fma_gflops, fma_text = fma
    fma_text = f'{fma_text} = {fma_gflops:.0f} GFLOP/s'
    if fma_gflops >= sgemm:
        return CpuPeak(fma_gflops, 'fma', f'{fma_text} (sgemm: {sgemm_text})', fma_gflops, sgemm)
    return CpuPeak(sgemm, 'sgemm', f'{sgemm_text} (above the FMA description, {fma_text}: '
                   'the cores run faster than the clock it gives)', fma_gflops, sgemm)
