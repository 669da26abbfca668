"""The train-step benchmark runs in this process, so any thread count works."""
import importlib.util
import os
from pathlib import Path

import pytest
import torch

from mmdgan.engine.benchmark import TrainBenchmark, format_results
from tests.test_engine.tiny_cfg import TINY_CONFIG, data_options, load_tiny_cfg

TOOL = Path(__file__).resolve().parents[2] / 'tools' / 'analysis_tools' / 'benchmark_train.py'


@pytest.fixture
def two_threads(monkeypatch):
    """Two intra-op threads, and no fork: a child forked after OpenMP started can hang."""
    def no_fork(*args, **kwargs):
        raise AssertionError('the benchmark forked a child process')

    monkeypatch.setattr(os, 'fork', no_fork)
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(previous)


def test_benchmark_tool_completes_with_two_threads(two_threads, demo_data, capsys):
    spec = importlib.util.spec_from_file_location('benchmark_train', TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    options = [f'{k}={v}' for k, v in data_options(demo_data).items()]
    results = tool.main([str(TINY_CONFIG), '--iters', '1', '--warmup', '0',
                         '--modes', 'none', 'exact', '--cfg-options', *options])
    assert list(results) == ['detector_step', 'detector_fwd_bwd', 'train_step/none',
                             'train_step/exact', 'unroll/exact']
    for result in results.values():
        assert result['s_per_iter'] > 0
    table = capsys.readouterr().out
    assert 'x det step' in table and 'x fwd+bwd' in table
    row = next(line for line in table.splitlines() if line.startswith('train_step/exact'))
    ratio = results['train_step/exact']['s_per_iter'] / results['detector_step']['s_per_iter']
    assert f'{ratio:.2f}x' in row.split()


def test_every_measurement_starts_from_the_same_state(two_threads, tiny_cfg):
    bench = TrainBenchmark(tiny_cfg, iters=1, warmup=0)
    weights = {k: v.clone() for k, v in bench.model.state_dict().items()}
    rng = torch.get_rng_state()
    bench.train_step('none')  # steps every optimizer
    for name, value in bench.model.state_dict().items():
        assert torch.equal(value, weights[name]), name
    assert torch.equal(torch.get_rng_state(), rng)
    assert all(not opt.state for opt in (w.optimizer for w in bench.optim_wrapper.values()))


def test_format_results_without_memory_figures():
    results = {'detector_step': dict(s_per_iter=2.0, peak_mib=None),
               'detector_fwd_bwd': dict(s_per_iter=1.0, peak_mib=None),
               'unroll/exact': dict(s_per_iter=3.0, peak_mib=100.0)}
    lines = format_results(results).splitlines()
    assert lines[3].split() == ['unroll/exact', '3.000', '100', '1.50x', '3.00x']
    assert lines[1].split() == ['detector_step', '2.000', '-', '1.00x']


def test_none_mode_is_the_models_no_unroll_path(demo_data, monkeypatch):
    """'none' times the step with ``loss_weights.unroll=0`` (the model's one no-unroll
    switch) and leaves the config's weight as it was for the other modes."""
    unroll_module = importlib.import_module('mmdgan.models.unroll')
    bench = TrainBenchmark(load_tiny_cfg(demo_data), iters=1, warmup=0)
    calls = []
    original = unroll_module.unroll
    monkeypatch.setattr(unroll_module, 'unroll',
                        lambda *args, **kwargs: calls.append(1) or original(*args, **kwargs))
    bench.train_step('none')
    assert not calls and bench.model.loss_weights['unroll'] == 1.0
    bench.train_step('exact')
    assert calls
    assert bench.unroll_overhead('exact')['s_per_iter'] > 0


def test_stage1_step_is_timed_against_the_detector_step(demo_data):
    from tests.test_models.test_two_stage import stage1_cfg
    bench = TrainBenchmark(load_tiny_cfg(demo_data), iters=1, warmup=0,
                           stage1_cfg=stage1_cfg(demo_data))
    assert bench.stage1[0].detector is None
    results = bench.run(modes=[])
    assert list(results) == ['detector_step', 'detector_fwd_bwd', 'stage1_step']
    assert all(r['s_per_iter'] > 0 for r in results.values())
    assert 'stage1_step' in format_results(results)
    with pytest.raises(ValueError, match='stage1_cfg: model.detector must be None'):
        TrainBenchmark(load_tiny_cfg(demo_data), stage1_cfg=load_tiny_cfg(demo_data))
