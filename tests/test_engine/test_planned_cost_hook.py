"""PlannedCostHook: the planned core-hours before training, the measured rate after N iterations."""
import pytest

from mmdgan.engine.hooks import PlannedCostHook


class _Logger:
    def __init__(self):
        self.lines = []

    def info(self, line):
        self.lines.append(line)


class _Runner:
    def __init__(self, iter_, max_iters):
        self.iter, self.max_iters, self.logger = iter_, max_iters, _Logger()


def test_plans_the_iterations_left_then_reports_the_measured_rate():
    hook = PlannedCostHook(step_seconds=0.36, check_after=2, threads=2)
    runner = _Runner(iter_=1000, max_iters=11000)  # resumed at 1000: 10 000 left
    hook.before_train(runner)
    assert runner.logger.lines == [
        'PlannedCostHook: planned (benchmarked step): 10000 iterations x 0.360 s x 2 '
        'thread(s) = 2.00 CPU core-hours (1.00 h wall)']
    for _ in range(3):
        hook.before_train_iter(runner, 0)
        hook.after_train_iter(runner, 0)
        runner.iter += 1
    assert len(runner.logger.lines) == 2  # once, after check_after iterations
    assert runner.logger.lines[1].startswith('PlannedCostHook: measured ')
    assert 'over the first 2 iterations' in runner.logger.lines[1]


@pytest.mark.parametrize('kwargs, field', [(dict(step_seconds=0), 'step_seconds'),
                                           (dict(step_seconds=1, check_after=0), 'check_after'),
                                           (dict(step_seconds=1, threads=0), 'threads')])
def test_bad_settings_are_refused_by_name(kwargs, field):
    with pytest.raises(ValueError, match=f'PlannedCostHook.{field}'):
        PlannedCostHook(**kwargs)
