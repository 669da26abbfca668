"""Peak resident memory of a block of code, measured inside this process.

The resident-set high-water mark (``VmHWM`` in ``/proc/self/status``) is reset
by writing ``5`` to ``/proc/self/clear_refs`` (after ``malloc_trim``, so that
freed heap is not silently reused). ``tracemalloc`` would miss most of it: it
sees only Python allocations, not the buffers of MKL, oneDNN or ORT. Measuring
in this process needs no child: forking after OpenMP threads started can
deadlock the child.
"""
import ctypes
import re
from pathlib import Path
from typing import Optional


def _proc_status_kib(key: str) -> int:
    match = re.search(rf'^{key}:\s+(\d+) kB', Path('/proc/self/status').read_text(), re.M)
    if match is None:
        raise RuntimeError(f'/proc/self/status has no {key}')
    return int(match.group(1))


class PeakRss:
    """Resident-set high-water mark over a block, in MiB.

    Attributes:
        value: Rise of the high-water mark over the resident set at entry
            (what the block added).
        peak_mib: The high-water mark itself (the process's peak during the
            block).

    Both stay ``None`` where the mark cannot be reset (not Linux, or
    ``/proc/self/clear_refs`` not writable): an old peak would be meaningless.
    """

    def __init__(self) -> None:
        self.value: Optional[float] = None
        self.peak_mib: Optional[float] = None

    def __enter__(self) -> 'PeakRss':
        try:
            # Hand freed heap back to the OS first: memory retained by malloc
            # would be reused without raising the RSS, hiding the block's need.
            ctypes.CDLL('libc.so.6').malloc_trim(0)
        except (OSError, AttributeError):
            pass
        try:
            Path('/proc/self/clear_refs').write_text('5')
            self._base = _proc_status_kib('VmRSS')
        except OSError:
            self._base = None
        return self

    def __exit__(self, *exc) -> None:
        if self._base is not None:
            peak = _proc_status_kib('VmHWM')
            self.value = (peak - self._base) / 1024
            self.peak_mib = peak / 1024
