"""Cross-validated comparison of real-only training with four ways of adding synthetic data.

    python tools/experiments/cross_validation.py --data mini-mias --dry-run   # plan + cost
    python tools/experiments/cross_validation.py --data mini-mias             # run / resume
    python tools/experiments/cross_validation.py --data demo --quick          # ~20 min demo
    python tools/experiments/cross_validation.py --data PATH --det-config ... # any folder
    python tools/experiments/cross_validation.py --data mini-mias --report-only

Writes results/<data>-cv[-quick]/{folds.json,table.md,results.json,ap50.png,
learning_curve.png} and one json per finished unit under units/ (commit them:
the same command resumes and never reruns a finished unit). The protocol is
described in mmdgan/experiments/cv.py and results/README.md.
"""
import argparse
import os
import shlex
import sys
from pathlib import Path
from typing import List, Optional

from mmengine.config import DictAction

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from mmdgan.experiments.cli import add_config_args, gan_configs_from_args  # noqa: E402
from mmdgan.experiments.cv import CVExperiment, CVSettings  # noqa: E402
from mmdgan.experiments.cv_report import readme_table, update_markdown_block  # noqa: E402
from mmdgan.experiments.small_data import ARMS, DEFAULT_ARMS  # noqa: E402
from mmdgan.experiments.steps import REPO_ROOT  # noqa: E402

_GAN_256PX = {'train_dataloader.batch_size': 2, 'train_dataloader.num_workers': 0,
              'train_dataloader.persistent_workers': False}
#: Per (data, --quick): configs, schedule and the per-step costs of the plan
#: (seconds on one free core, measured: results/README.md "Speed"). ``None``
#: data is any other converted folder (``--data PATH``).
PRESETS = {
    # 2 folds x 1 seed x 5 arms at 128 px; see results/README.md for the timing.
    ('demo', True): dict(
        tag='demo-128px', det_config='retinanet_effnet-lite0_1xb4-300it_demo-128px.py', folds=2,
        seeds=1, real_epochs=7,
        costs=dict(det_step=0.30, gan_step=1.70, gan_step_nounroll=0.76, gan_step_nodet=0.68,
                   process=12, score_image=0.02, synth_image=0.05)),
    ('demo', False): dict(
        tag='demo', det_config='retinanet_effnet-lite0_1xb4-1000it_demo.py', folds=5, seeds=3,
        real_epochs=25, fractions=(0.25, 0.5, 1.0), sweep_ratios=(0.5, 2.0),
        extra_gan_seeds=1,
        costs=dict(det_step=0.87, gan_step=6.5, gan_step_nounroll=3.3, gan_step_nodet=3.0,
                   process=15, score_image=0.05, synth_image=0.2)),
    # 256 px, RetinaNet on ImageNet EfficientNet-Lite0, 5 folds x 3 seeds, 30 epochs
    # over the real films (~650 iterations real-only: the detector pilots show it
    # still gains up to 2000, which the budget cannot pay for in 75 runs), local-crop
    # GANs (issue 11) of 300 iterations at batch 4 (see results/README.md "Budget");
    # checkpoints every few minutes so a killed run resumes. Costs: seconds per step
    # with 1 thread and two runs side by side on the quiet 2-core machine (detector:
    # the fs2_2k pilot; GANs: benchmark_train.py at 2 threads x 1.6).
    ('mini-mias', False): dict(
        tag='mini-mias',
        det_config='retinanet_effnet-lite0_1xb4-1000it_mini-mias.py', folds=5, seeds=3,
        real_epochs=30, gan_iters=300, fractions=(0.25, 0.5, 1.0), sweep_ratios=(0.5, 2.0),
        extra_gan_seeds=1,
        # Copy-paste on the learning curve too: a DetectorGAN gain where labels are
        # few could come from the clean films as backgrounds, whatever is inserted.
        # Real only at the augmented arms' iteration count: equal real exposure gives
        # those twice the steps, and the 25 % detectors are far from converged.
        lc_control_arms=('copy-paste', 'real-steps'),
        # The five arms, then real only at the augmented steps and DetectorGAN with the
        # unroll only (the fifth and sixth rounds of results/mini-mias/gan_diag/),
        # scheduled after everything else.
        arms=(*DEFAULT_ARMS, 'real-steps', 'dgan-unroll'), late_arms=('real-steps', 'dgan-unroll'),
        gan_configs={arm: f'configs/dgan_retinanet-effnet-lite0_local-crop{variant}'
                          '_1xb4-2k_mini-mias.py'
                     for arm, variant in (('dgan', ''), ('dgan-nounroll', '_nounroll'),
                                          ('gan-nodet', '_nodet'),
                                          ('dgan-unroll', '_unroll-only'))},
        info_file=str(REPO_ROOT.parent / 'shared/data/mini-mias/Info.txt'),
        det_options={'default_hooks.checkpoint.interval': 100},
        gan_options={'train_dataloader.num_workers': 0,
                     'train_dataloader.persistent_workers': False,
                     'default_hooks.checkpoint.interval': 25,
                     'default_hooks.checkpoint.max_keep_ckpts': 1},
        costs=dict(det_step=0.76, gan_step=5.6, gan_step_nounroll=2.9, gan_step_nodet=2.7,
                   **{'gan_step_unroll-only': 5.0}, process=25, score_image=0.1,
                   synth_image=0.3)),
    ('mini-mias', True): dict(
        tag='mini-mias',
        det_config='retinanet_effnet-lite0_1xb4-1000it_mini-mias.py', folds=5, seeds=1,
        real_epochs=3, gan_iters=10,
        info_file=str(REPO_ROOT.parent / 'shared/data/mini-mias/Info.txt'),
        gan_options=_GAN_256PX),
    (None, False): dict(tag='demo', det_config='retinanet_effnet-lite0_1xb4-1000it_demo.py',
                        folds=5, seeds=3, real_epochs=25),
    (None, True): dict(tag='demo-128px',
                       det_config='retinanet_effnet-lite0_1xb4-300it_demo-128px.py',
                       folds=2, seeds=1, real_epochs=7),
}


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data', required=True,
                        help='demo, mini-mias, or the path of any converted dataset folder')
    parser.add_argument('--data-root', help='dataset folder of demo / mini-mias '
                        '(default: data/<data>/)')
    parser.add_argument('--quick', action='store_true',
                        help='short schedules (demo: 2 folds, 1 seed, 128 px, ~20 min)')
    parser.add_argument('--dry-run', action='store_true',
                        help='write the folds, print the plan and its cost, train nothing')
    parser.add_argument('--report-only', action='store_true',
                        help='rebuild table.md / results.json / figures from the units')
    parser.add_argument('--readme', help='with --report-only: also rewrite the "cv-table" '
                        'block of this markdown file (e.g. results/README.md)')
    parser.add_argument('--folds', type=int, help='k of the k-fold cross-validation')
    parser.add_argument('--fold-seed', type=int, default=0)
    parser.add_argument('--seeds', type=int, help='detector seeds per fold (0, 1, ...)')
    parser.add_argument('--arms', nargs='+', choices=list(ARMS),
                        help=f'default: the preset\'s, else {" ".join(DEFAULT_ARMS)}')
    parser.add_argument('--info-file', help='mini-MIAS Info.txt (lesion-type strata)')
    parser.add_argument('--real-epochs', type=float,
                        help='passes of every detector over its real training films')
    parser.add_argument('--gan-iters', type=int, help='GAN iterations (default: preset/config)')
    parser.add_argument('--syn-per-real', type=float, default=1.0,
                        help='synthetic images per real training film')
    parser.add_argument('--fractions', type=float, nargs='+',
                        help='learning-curve fractions of the labelled training films')
    parser.add_argument('--lc-control-arms', nargs='*', choices=list(ARMS),
                        help='further learning-curve arms, each fraction\'s run right after '
                        'that fraction\'s curve (default: the preset\'s unless --arms is given)')
    parser.add_argument('--sweep-ratios', type=float, nargs='*',
                        help='extra synthetic-per-real ratios on --special-fold')
    parser.add_argument('--extra-gan-seeds', type=int,
                        help='extra GAN seeds on --special-fold (GAN variance)')
    parser.add_argument('--special-fold', type=int, default=0)
    parser.add_argument('--no-warm-start', action='store_true',
                        help='start the GANs\' in-loop detectors from scratch')
    parser.add_argument('--op-sensitivity', type=float, default=0.8,
                        help='training lesion sensitivity that fixes the operating point')
    parser.add_argument('--quality-images', type=int, default=500,
                        help='films synthesised per synthetic source to score its insertions '
                        'against the fold\'s training lesions (0: no scores)')
    parser.add_argument('--jobs', type=int, default=2, help='units run side by side')
    parser.add_argument('--threads', type=int, default=1, help='OpenMP threads per process')
    parser.add_argument('--in-process', action='store_true',
                        help='run the tools inside this process, one at a time (tests)')
    parser.add_argument('--work-dir', help='default: work_dirs/cv/<name>')
    parser.add_argument('--results-dir', help='default: results/<name>')
    parser.add_argument('--config-tag', help='suffix of the GAN configs configs/dgan_*_<tag>.py')
    parser.add_argument('--gan-family', help='detector family of the GAN configs, e.g. '
                        'retinanet-r18 (default: the preset\'s)')
    parser.add_argument('--costs', nargs='+', action=DictAction, default={},
                        help='per-step seconds of the plan, e.g. det_step=0.5 gan_step=3')
    add_config_args(parser)
    return parser.parse_args(argv)


def settings_from_args(args: argparse.Namespace) -> CVSettings:
    named = args.data in ('demo', 'mini-mias')
    preset = PRESETS[(args.data if named else None, args.quick)]
    if named:
        name, data_root = args.data, args.data_root or f'data/{args.data}/'
    else:
        if not Path(args.data).is_dir():
            raise FileNotFoundError(f'--data {args.data}: not demo, mini-mias or a folder')
        name, data_root = Path(args.data).resolve().name, args.data
    name += '-cv' + ('-quick' if args.quick else '')
    det_config = args.det_config or f'configs/detector/{preset["det_config"]}'

    def pick(arg, key, default=None):
        return arg if arg is not None else preset.get(key, default)

    info_file = args.info_file or preset.get('info_file')
    if info_file and not Path(info_file).is_file() and not args.info_file:
        raise FileNotFoundError(f'mini-MIAS Info.txt not found at {info_file}: pass --info-file')
    return CVSettings(
        data=name, data_root=data_root, arms=args.arms or preset.get('arms', DEFAULT_ARMS),
        late_arms=preset.get('late_arms', ()) if args.arms is None else (),
        lc_control_arms=(args.lc_control_arms if args.lc_control_arms is not None else
                         preset.get('lc_control_arms', ()) if args.arms is None else ()),
        seeds=list(range(pick(args.seeds, 'seeds'))),
        work_dir=args.work_dir or f'work_dirs/cv/{name}',
        results_dir=args.results_dir or f'results/{name}',
        det_config=det_config,
        det_syn_config=args.det_syn_config or det_config.replace('.py', '_real-syn.py'),
        gan_configs={**preset.get('gan_configs', {}), **gan_configs_from_args(args)},
        config_tag=args.config_tag or preset['tag'],
        gan_family=args.gan_family if args.gan_family is not None else preset.get('family', ''),
        folds=pick(args.folds, 'folds'), fold_seed=args.fold_seed, info_file=info_file,
        real_epochs=pick(args.real_epochs, 'real_epochs'),
        gan_iters=pick(args.gan_iters, 'gan_iters'), syn_per_real=args.syn_per_real,
        fractions=pick(args.fractions, 'fractions', (1.0,)),
        sweep_ratios=pick(args.sweep_ratios, 'sweep_ratios', ()),
        extra_gan_seeds=pick(args.extra_gan_seeds, 'extra_gan_seeds', 0),
        special_fold=args.special_fold, warm_start=not args.no_warm_start,
        op_sensitivity=args.op_sensitivity, quality_images=args.quality_images,
        det_options={**preset.get('det_options', {}), **args.det_options},
        gan_options={**preset.get('gan_options', {}), **args.gan_options},
        costs={**preset.get('costs', {}), **args.costs},
        threads=args.threads, jobs=args.jobs, in_process=args.in_process)


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    if args.dry_run and args.report_only:
        raise SystemExit('--dry-run and --report-only exclude each other')
    if args.readme and not args.report_only:
        raise SystemExit('--readme goes with --report-only')
    given = sys.argv[1:] if argv is None else argv
    # The report names the command that runs the comparison, not the one rebuilding it.
    command = shlex.join(['python', 'tools/experiments/cross_validation.py',
                          *(a for i, a in enumerate(given) if a not in ('--report-only', '--readme')
                            and given[i - 1:i] != ['--readme'])])
    experiment = CVExperiment(settings_from_args(args))
    if args.report_only:
        experiment.prepare_folds()
        results = experiment.report(command)
        if args.readme:
            update_markdown_block(Path(args.readme), 'cv-table', readme_table(results))
        return results
    return experiment.run(command, dry_run=args.dry_run)


if __name__ == '__main__':
    main()
