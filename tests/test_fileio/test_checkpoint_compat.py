"""mmengine resumes its own checkpoints on torch >= 2.6 once mmdgan allow-lists them,
without mmdgan touching mmengine's classes or doing anything on import."""
import pickle
import subprocess
import sys

import pytest
import torch
import torch.nn as nn
from mmengine.logging import HistoryBuffer
from mmengine.model import BaseModel
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from mmdgan.fileio import allow_mmengine_checkpoints


@pytest.fixture(autouse=True)
def _keep_default_scope():
    """The toy runners set mmengine's current scope to 'mmengine' for every later test
    (registry builds then miss mmdet's and mmdgan's modules); drop the scopes they made."""
    before = set(DefaultScope._instance_dict)
    yield
    for name in set(DefaultScope._instance_dict) - before:
        del DefaultScope._instance_dict[name]


class _ToyModel(BaseModel):

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, labels=None, mode='tensor'):
        out = self.linear(inputs)
        if mode == 'loss':
            return {'loss': ((out.squeeze(1) - labels)**2).mean()}
        return out


class _ToyDataset(torch.utils.data.Dataset):

    def __len__(self) -> int:
        return 8

    def __getitem__(self, idx):
        x = torch.tensor([float(idx), 1.0])
        return dict(inputs=x, labels=x.sum())


def _runner(work_dir, max_iters, resume=False) -> Runner:
    return Runner(
        model=_ToyModel(),
        work_dir=str(work_dir),
        train_dataloader=dict(dataset=_ToyDataset(), batch_size=2,
                              sampler=dict(type='DefaultSampler', shuffle=False),
                              collate_fn=dict(type='default_collate')),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False),
                           logger=dict(type='LoggerHook', interval=1)),
        resume=resume,
        randomness=dict(seed=0),
        default_scope='mmengine',
        experiment_name=f'toy_{max_iters}_{resume}')


def test_resume_restores_iteration_and_optimizer(tmp_path):
    allow_mmengine_checkpoints()
    first = _runner(tmp_path, max_iters=2)
    first.train()
    saved_momentum = {k: v['momentum_buffer'].clone()
                      for k, v in first.optim_wrapper.optimizer.state_dict()['state'].items()}
    assert (tmp_path / 'iter_2.pth').is_file()

    resumed = _runner(tmp_path, max_iters=4, resume=True)
    resumed.load_or_resume()
    assert resumed.iter == 2
    restored = resumed.optim_wrapper.optimizer.state_dict()['state']
    assert saved_momentum.keys() == restored.keys()
    for key, value in saved_momentum.items():
        assert torch.equal(value, restored[key]['momentum_buffer'])
    resumed.train()
    assert resumed.iter == 4


class NotAllowListed:
    """A type mmengine never writes: loading it must still be refused."""


def test_unknown_globals_are_still_refused(tmp_path):
    allow_mmengine_checkpoints()
    path = tmp_path / 'other.pth'
    torch.save({'obj': NotAllowListed()}, path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path)


def test_history_buffer_round_trips_without_its_default_methods(tmp_path):
    allow_mmengine_checkpoints()
    buffer = HistoryBuffer([1.0, 3.0], [1, 1])
    path = tmp_path / 'buffer.pth'
    torch.save({'buffer': buffer}, path)
    loaded = torch.load(path, weights_only=True)['buffer']
    assert type(loaded) is HistoryBuffer
    assert loaded.mean() == buffer.mean() == 2.0 and loaded.max() == 3.0
    # mmengine's own __getstate__ is left as mmengine wrote it.
    assert HistoryBuffer.__getstate__.__module__ == 'mmengine.logging.history_buffer'


def test_import_mmdgan_changes_nothing_global():
    code = ('import copyreg, torch, mmdgan, mmdgan.utils, mmdgan.fileio\n'
            'from mmengine.logging import HistoryBuffer\n'
            'assert HistoryBuffer not in copyreg.dispatch_table\n'
            'assert HistoryBuffer not in torch.serialization.get_safe_globals()\n'
            "assert HistoryBuffer.__getstate__.__module__ == 'mmengine.logging.history_buffer'\n")
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
