"""engine.benchmark uses DetectorGAN's public inner_step_scope, not private helpers (14.3)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from tiny_cfg import load_tiny_cfg  # noqa: E402

from mmdgan.engine.benchmark import TrainBenchmark  # noqa: E402


def test_inner_step_scope_freezes_what_the_virtual_step_holds(demo_data):
    cfg = load_tiny_cfg(demo_data, **{'model.unroll.inner_modules': ['bbox_head']})
    bench = TrainBenchmark(cfg, iters=1, warmup=0)
    model = bench.model
    trainable = {n for n, p in model.det.named_parameters() if p.requires_grad}
    with model.inner_step_scope():
        inside = {n for n, p in model.det.named_parameters() if p.requires_grad}
    assert inside == {n for n in trainable if n.startswith('bbox_head.')} and inside
    assert {n for n, p in model.det.named_parameters() if p.requires_grad} == trainable
    result = bench.unroll_overhead('exact')
    assert result['s_per_iter'] > 0 and result['peak_mib'] > 0
