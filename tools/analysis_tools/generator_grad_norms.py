"""Gradient norm of each generator loss term w.r.t. the inserter, their cosines and values.

Measures, at a checkpoint's weights (``model.init_from`` for the start of stage 2),
how hard the adversarial term, ``L_det^syn`` and the unroll pull on ``G_X``
(``mmdgan/evaluation/term_gradients.py``). The model is at iteration 0, so a
ramp (``train_cfg.det_ramp_iters``) would scale the detector terms down: set it
to 0 to measure them at their full weight.

    python tools/analysis_tools/generator_grad_norms.py \
        configs/dgan_retinanet-effnet-lite0_local-crop_stage2_1xb4-300it_mini-mias.py \
        --batches 8 --out grads.json --cfg-options model.init_from=work_dirs/s1/iter_500.pth \
        model.train_cfg.det_ramp_iters=0
"""
import argparse
import copy
import itertools
from typing import List, Optional

import torch

from mmdgan.engine.benchmark import build_for_benchmark
from mmdgan.evaluation.term_gradients import term_gradient_stats
from mmdgan.fileio import write_json_atomic
from mmdgan.utils import load_config
from mmdgan.utils.cli import CfgOptionsAction, positive_int


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Per-term generator gradient norms')
    parser.add_argument('config', help='DetectorGAN config file')
    parser.add_argument('--batches', type=positive_int, default=8,
                        help='training batches to average')
    parser.add_argument('--seed', type=int, default=0, help='seed of the batches and the model')
    parser.add_argument('--out', help='write the results here as JSON')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction,
                        help='override config settings, key=value')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    from mmengine.runner import Runner
    torch.manual_seed(args.seed)
    cfg = load_config(args.config, args.cfg_options)
    model, _, _ = build_for_benchmark(cfg, torch.device('cpu'), exact=False)
    loader_cfg = copy.deepcopy(cfg.train_dataloader)
    loader_cfg['num_workers'] = 0
    loader_cfg.pop('persistent_workers', None)
    loader = Runner.build_dataloader(loader_cfg, seed=args.seed)
    stats = term_gradient_stats(model, itertools.islice(iter(loader), args.batches))
    for kind in ('norms', 'values', 'cosine'):
        for name, s in stats[kind].items():
            print(f'{kind:6s} {name:45s} {s["mean"]:.4g} ± {s["sd"]:.2g} '
                  f'(s.d. over {stats["num_batches"]} batches)')
    if args.out:
        write_json_atomic(dict(stats, config=args.config, cfg_options=args.cfg_options or {}),
                          args.out)
    return stats


if __name__ == '__main__':
    main()
