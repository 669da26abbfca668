"""FiniteWeightsHook: no checkpoint with non-finite weights, a warning when they diverged (13.5)."""
import logging
from types import SimpleNamespace

import pytest
import torch

from mmdgan.engine.hooks import FiniteWeightsHook
from mmdgan.engine.hooks.finite_weights_hook import first_bad_parameter


def _runner(model, logger):
    return SimpleNamespace(model=model, iter=7, logger=logger)


def test_non_finite_weights_stop_before_the_checkpoint(caplog):
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))
    hook = FiniteWeightsHook()
    hook.before_save_checkpoint(_runner(model, logging.getLogger('t')), {})  # fine
    with torch.no_grad():
        model[1].weight[1] = float('nan')
    with pytest.raises(FloatingPointError, match=r"weight '1.weight' is nan after iteration 7: "
                       'no checkpoint was written'):
        hook.before_save_checkpoint(_runner(model, logging.getLogger('t')), {})
    with torch.no_grad():
        model[1].weight[1] = 1.0
        model[1].running_var[0] = float('inf')
    assert first_bad_parameter(model, 1e6) == ('1.running_var', float('inf'))


def test_diverged_weights_warn(caplog):
    model = torch.nn.Linear(2, 2)
    with torch.no_grad():
        model.bias[0] = 6e28
    logger = logging.getLogger('finite_weights_test')
    with caplog.at_level(logging.WARNING, logger='finite_weights_test'):
        FiniteWeightsHook().before_save_checkpoint(_runner(model, logger), {})
    assert "weight 'bias' reaches 6e+28" in caplog.text


def test_training_at_an_absurd_learning_rate_warns(demo_data, tmp_path, capfd):
    """The issue's case: generators at lr 1e30 used to train with weights of 1e30, silently."""
    from tests.test_engine.tiny_cfg import TINY_CONFIG, data_options
    from tools.train import main as train
    work_dir = tmp_path / 'work'
    options = [f'{k}={v}' for k, v in data_options(demo_data).items()]
    train([str(TINY_CONFIG), '--work-dir', str(work_dir), '--cfg-options', *options,
               'train_cfg.max_iters=1', 'val_cfg=None', 'val_dataloader=None',
               'val_evaluator=None', 'custom_hooks=[]',
               'optim_wrapper.generators.optimizer.lr=1e30',
               # mmengine keeps one visualizer per name and process: a name of its
               # own keeps this run's save_dir out of later runners in the session.
               'visualizer.name=finite_weights_test'])
    log = next(work_dir.rglob('*.log')).read_text()
    assert 'FiniteWeightsHook: weight' in log and 'training has most likely diverged' in log
    # Issue 14.6: every registry the runner searches exists in the mmdgan scope (the
    # warning came before the log file is opened, so it is looked for in the output).
    printed = capfd.readouterr()
    assert 'FiniteWeightsHook: weight' in printed.out + printed.err
    assert 'Failed to search registry' not in printed.out + printed.err
