"""The one wall-clock timer of the benchmarks (train steps, deployment backends)."""
import time
from typing import Callable, List, Optional


def time_calls(fn: Callable[[], object], warmup: int, repeats: int,
               sync: Optional[Callable[[], None]] = None) -> List[float]:
    """Seconds per call of ``fn`` after ``warmup`` untimed calls.

    Args:
        fn: What to time.
        warmup: Untimed calls first (allocator, caches, lazy initialisation).
        repeats: Timed calls.
        sync: Called before each clock read, e.g. ``torch.cuda.synchronize``,
            so that asynchronous device work is counted where it happens.
    """
    sync = sync or (lambda: None)
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        fn()
        sync()
        samples.append(time.perf_counter() - start)
    return samples
