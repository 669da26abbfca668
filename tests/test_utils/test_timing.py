"""time_calls: the one timer of the benchmarks (counts, not durations)."""
from mmdgan.utils.timing import time_calls


def test_warmup_calls_are_untimed_and_sync_brackets_each_timed_call():
    events = []
    samples = time_calls(lambda: events.append('call'), warmup=2, repeats=3,
                         sync=lambda: events.append('sync'))
    assert len(samples) == 3 and all(s >= 0 for s in samples)
    assert events == ['call'] * 2 + ['sync', 'call', 'sync'] * 3
    assert time_calls(lambda: None, warmup=0, repeats=0) == []
