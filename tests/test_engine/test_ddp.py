"""DDP on CPU: two gloo processes train the tiny DetectorGAN and stay in sync."""
import copy
import os
import socket

import torch
import torch.multiprocessing as torch_mp

WORLD_SIZE = 2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _worker(rank: int, cfg_path: str, port: int, out_dir: str) -> None:
    from mmdgan.engine.train import train
    from mmdgan.utils.runner_config import build_runner_config as build_train_config
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(WORLD_SIZE),
                      MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port), OMP_NUM_THREADS='1')
    torch.set_num_threads(1)
    cfg = build_train_config(cfg_path, launcher='pytorch')
    runner = train(cfg)
    model = runner.model.module
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    torch.save(dict(iter=runner.iter, state=state, wrapped=type(runner.model).__name__),
               os.path.join(out_dir, f'rank{rank}.pth'))


def test_two_cpu_processes_train_in_sync(tiny_cfg, tmp_path):
    cfg = copy.deepcopy(tiny_cfg)
    cfg.train_cfg.max_iters = 2
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.train_dataloader.batch_size = 1
    cfg.work_dir = str(tmp_path / 'work')
    cfg_path = tmp_path / 'cfg.py'
    cfg.dump(str(cfg_path))
    torch_mp.spawn(_worker, args=(str(cfg_path), _free_port(), str(tmp_path)),
                   nprocs=WORLD_SIZE, join=True)
    results = [torch.load(tmp_path / f'rank{r}.pth', weights_only=True)
               for r in range(WORLD_SIZE)]
    assert all(r['iter'] == 2 for r in results)
    assert results[0]['wrapped'] == 'MMSeparateDistributedDataParallel'
    # Each rank saw different images; identical weights prove the gradients
    # (the generators' unroll term included) were all-reduced.
    for key, value in results[0]['state'].items():
        if value.is_floating_point() and 'running' not in key:
            assert torch.equal(value, results[1]['state'][key]), key
    assert (tmp_path / 'work' / 'iter_2.pth').is_file()
