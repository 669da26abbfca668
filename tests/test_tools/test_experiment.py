"""The cross-validated comparison end to end, CI-sized (tiny detector, 2 iterations)."""
import json
import shutil
from pathlib import Path

import pytest

from tools.experiments.cross_validation import main as cv_main

#: A much smaller detector and image size than the real configs; everything
#: else (pipelines, evaluators, ConcatDataset) is inherited unchanged.
TINY = """_base_ = '{base}'
img_scale = (64, 64)
model = dict(neck=dict(out_channels=16), bbox_head=dict(in_channels=16, feat_channels=16,
                                                         stacked_convs=1))
"""
TINY_PIPELINES = """
_train = [dict(t, scale=img_scale) if t['type'] == 'mmdet.Resize' else t
          for t in _base_.train_pipeline]
_test = [dict(t, scale=img_scale) if t['type'] == 'mmdet.Resize' else t
         for t in _base_.test_pipeline]
"""


def _tiny_configs(tmp_path):
    repo = 'configs/detector/retinanet_r18_1xb4-1500it_demo'
    # Named like the repository's configs: the GAN arms pick the family retinanet-r18.
    real = tmp_path / 'retinanet_r18_tiny.py'
    real.write_text(TINY.format(base=f'{_abs(repo)}.py') + TINY_PIPELINES + """
train_dataloader = dict(batch_size=2, dataset=dict(pipeline=_train))
test_dataloader = dict(dataset=dict(pipeline=_test))
val_dataloader = dict(dataset=dict(pipeline=_test))
""")
    syn = tmp_path / 'retinanet_r18_tiny_real-syn.py'
    syn.write_text(TINY.format(base=f'{_abs(repo)}_real-syn.py') + """
_d = _base_.train_dataloader.dataset.datasets
_train = [dict(t, scale=img_scale) if t['type'] == 'mmdet.Resize' else t
          for t in _d[0].pipeline]
_test = [dict(t, scale=img_scale) if t['type'] == 'mmdet.Resize' else t
         for t in _base_.test_dataloader.dataset.pipeline]
train_dataloader = dict(batch_size=2, dataset=dict(
    datasets=[dict(_d[0], pipeline=_train), dict(_d[1], pipeline=_train)]))
test_dataloader = dict(dataset=dict(pipeline=_test))
val_dataloader = dict(dataset=dict(pipeline=_test))
del _d
""")
    return str(real), str(syn)


def _abs(path):
    from pathlib import Path
    return str(Path(__file__).resolve().parents[2] / path)


def test_demo_experiment_config_loads_and_reproduces_its_preset():
    """The shipped demo experiment config: its GAN arms differ in the detector terms."""
    from mmengine.config import Config

    from mmdgan.experiments import load_experiment
    quick, execution = load_experiment(_abs('configs/experiments/cv_demo-quick.py'))
    assert quick.data == 'demo-cv-quick' and quick.folds == 2 and list(quick.seeds) == [0]
    assert execution == dict(workers=2, threads=1, scheduler=None, first_fraction=None,
                             last_arms=[])
    demo = {arm: Config.fromfile(_abs(path)) for arm, path in quick.gan_configs.items()}
    assert demo['dgan-nounroll'].model.loss_weights.unroll == 0
    assert demo['gan-nodet'].model.loss_weights.det_syn == 0
    assert demo['gan-nodet'].model.loss_weights.unroll == 0


@pytest.mark.mini_mias  # its config reads the patients of ../shared/data/mini-mias
def test_mini_mias_experiment_config_loads_and_reproduces_its_preset():
    """The mini-MIAS experiment config: every config file exists and each GAN arm's
    ablation differs from the full DetectorGAN in the detector terms only."""
    from mmengine.config import Config

    from mmdgan.experiments import load_experiment
    mias, _ = load_experiment(_abs('configs/experiments/cv_mini-mias.py'))
    assert mias.data == 'mini-mias-cv' and list(mias.seeds) == [0, 1, 2]
    assert list(mias.late_arms) == ['real-steps', 'dgan-unroll']
    assert list(mias.lc_control_arms) == ['copy-paste', 'real-steps']
    configs = {arm: Config.fromfile(_abs(path)) for arm, path in mias.gan_configs.items()}
    assert sorted(configs) == ['dgan', 'dgan-nounroll', 'dgan-unroll', 'gan-nodet']
    full = configs['dgan']
    assert full.model.local_crop.crop_size > 0 and full.model.unroll.mode == 'exact'
    assert configs['dgan-nounroll'].model.loss_weights.unroll == 0
    assert configs['gan-nodet'].model.loss_weights.det_syn == 0
    # The sixth arm: the unroll alone, with a smaller step and the same step x weight.
    unroll_only = configs['dgan-unroll'].model
    assert unroll_only.loss_weights.det_syn == 0 and unroll_only.unroll.mode == 'exact'
    assert unroll_only.unroll.inner_lr * unroll_only.loss_weights.unroll == pytest.approx(
        full.model.unroll.inner_lr * full.model.loss_weights.unroll)
    for cfg in configs.values():
        assert cfg.model.local_crop == full.model.local_crop
        assert cfg.train_dataloader == full.train_dataloader and cfg.train_cfg == full.train_cfg


def test_experiment_config_errors_name_the_key(demo_data, tmp_path):
    from mmdgan.experiments import load_experiment
    config = _tiny_experiment(tmp_path, demo_data, arms=['real', 'copy-paste'], gan_configs={})
    with pytest.raises(ValueError, match="unknown key.*'seed'"):
        load_experiment(config, {'seed': 1})
    # Copy-paste takes its box sampler from the full DetectorGAN's config.
    with pytest.raises(ValueError, match=r"gan_configs lacks the GAN config of arm\(s\) \['dgan"):
        load_experiment(config)
    with pytest.raises(ValueError, match='execution must be'):
        load_experiment(config, {'execution.workers': 0})
    with pytest.raises(FileNotFoundError, match='experiment config not found: nowhere.py'):
        load_experiment('nowhere.py')


def test_time_train_step(demo_data, tmp_path):
    import torch

    from tools.experiments.time_train_step import main as time_main
    real, _ = _tiny_configs(tmp_path)
    before = torch.get_num_threads()
    try:
        result = time_main([real, '--iters', '2', '--threads', '1', '--cfg-options',
                            f'train_dataloader.dataset.data_root={demo_data}/'])
    finally:
        torch.set_num_threads(before)
    assert result['threads'] == 1
    assert result['step_s'] > 0 and result['data_s'] >= 0
    assert 0 < result['params_m'] < 20  # the tiny RetinaNet-R18 of _tiny_configs
    with pytest.raises(ValueError, match='iters must be >= 2'):
        time_main([real, '--iters', '1'])
    with pytest.raises(FileNotFoundError, match='nowhere.py'):
        time_main([str(tmp_path / 'nowhere.py')])


def _tiny_experiment(tmp_path, demo_data, name='cv_tiny', **overrides) -> str:
    """An experiment config on the demo data with the tiny detector and 2-iteration GANs."""
    real, syn = _tiny_configs(tmp_path)
    tiny_gan = {'model.detector.neck.out_channels': 16,
                'model.detector.bbox_head.in_channels': 16,
                'model.detector.bbox_head.feat_channels': 16,
                'model.detector.bbox_head.stacked_convs': 1,
                'train_dataloader.dataset.clean_pipeline.1.scale': '(64,64)',
                'train_dataloader.dataset.labelled_pipeline.2.scale': '(64,64)'}
    settings = dict(data_root=f'{demo_data}/', arms=['real', 'dgan'], real_epochs=0.25,
                    gan_iters=2, syn_per_real=0.5, quality_images=4, det_config=real,
                    det_syn_config=syn, gan_options=tiny_gan,
                    gan_configs={'dgan': 'configs/dgan_retinanet-r18_1xb2-30it_demo-128px.py'},
                    work_dir=str(tmp_path / 'work'), results_dir=str(tmp_path / 'results'))
    settings.update(overrides)
    config = tmp_path / f'{name}.py'
    config.write_text(f"_base_ = ['{_abs('configs/experiments/cv_demo-quick.py')}']\n"
                      + ''.join(f'{k} = {v!r}\n' for k, v in settings.items())
                      + "gan_configs = dict(_delete_=True, **gan_configs)\n")
    return str(config)


def _log(tmp_path) -> str:
    """The newest log file of the runner (every run writes one)."""
    return sorted((tmp_path / 'work').glob('cv_*.log'))[-1].read_text()


def test_cross_validation_end_to_end(demo_data, tmp_path):
    """2 folds, tiny schedules: folds, warm-started GAN, synthesis, scoring, report, resume."""
    args = [_tiny_experiment(tmp_path, demo_data), '--in-process']
    results = cv_main(args)
    out = tmp_path / 'results'
    folds = json.loads((out / 'folds.json').read_text())
    assert len(folds['films']) == 24 + 36 and folds['grouping'].startswith('image')
    assert sorted(f['fold'] for f in folds['folds']) == [0, 1]
    assert results['units_done'] == 4 and set(results['arms']) == {'real', 'dgan'}
    held_out_boxes = 0
    for fold in (0, 1):
        unit = json.loads((out / 'units' / 'det' / f'dgan_fold{fold}_seed0.json').read_text())
        fold_eval = json.loads((tmp_path / 'work' / 'folds' / f'fold{fold}' / 'eval.json')
                               .read_text())
        held_out_boxes += len(fold_eval['annotations'])
        # Held-out normal films are scored (and counted per film at the operating point).
        assert unit['raw_metrics']['num_normal'] == sum(
            1 for i in fold_eval['images']
            if not any(a['image_id'] == i['id'] for a in fold_eval['annotations']))
        assert unit['num_real'] == 12 and unit['num_syn'] == 6
        assert unit['iters'] == 3 and unit['real_passes'] == pytest.approx(1 / 3)
        real_unit = json.loads((out / 'units' / 'det' / f'real_fold{fold}_seed0.json')
                               .read_text())
        assert real_unit['iters'] == 2 and real_unit['real_passes'] == pytest.approx(1 / 3)
        gan = json.loads((out / 'units' / 'gan' / f'dgan_fold{fold}_gan0.json').read_text())
        # The GAN's detector starts from the fold's real-only detector.
        assert f'model.detector_checkpoint={real_unit["checkpoint"]}' in gan['commands'][-1]
        for key in ('AP50', 'mAP', 'loc_top1', 'loc_top2', 'det_per_normal', 'sens_at_op'):
            assert unit['metrics'][key] >= 0.0
    # Every held-out box of the dataset is scored exactly once over the folds.
    assert held_out_boxes == sum(len(json.loads((demo_data / f).read_text())['annotations'])
                                 for f in ('train.json', 'val.json', 'test.json'))
    assert 'Units finished: 4 / 4' in (out / 'table.md').read_text()
    # The report weighs what the finished units took against the plan's price.
    took = sum(json.loads(f.read_text())['seconds'] for f in (out / 'units').glob('*/*.json'))
    progress = results['progress']
    assert progress['spent_core_hours'] == pytest.approx(took / 3600)
    assert progress['left_core_hours'] == 0
    assert progress['planned_core_hours_done'] == pytest.approx(
        results['settings']['plan']['core_hours'])
    assert (f'the finished units took at least {took / 3600:.1f}, priced at '
            f'{progress["planned_core_hours_done"]:.1f}; 0.0 left'
            in (out / 'table.md').read_text())
    # Each GAN's insertions are scored on their own synthetic films against the fold's
    # training lesions only, with the clean crops at the same boxes as reference.
    for fold in (0, 1):
        score = json.loads((out / 'units' / 'quality' / f'dgan_fold{fold}_gan0.json').read_text())
        assert score['images'] == 4 and score['inserted']['num_crops'] >= 4
        assert score['clean']['num_crops'] == score['inserted']['num_crops']
        assert f'folds/fold{fold}/train.json' in score['commands'][-1]
        fold_train = tmp_path / 'work' / 'folds' / f'fold{fold}' / 'train.json'
        assert score['real_crops'] == len(json.loads(fold_train.read_text())['annotations'])
    (quality,) = results['insertion_quality']
    assert quality['arm'] == 'dgan' and quality['folds'] == [0, 1]
    assert '## Insertion quality' in (out / 'table.md').read_text()
    # Resumable: a second run loads every unit and runs nothing.
    cv_main(args)
    assert '$ ' not in _log(tmp_path)
    # What is left to run is priced without the GANs and synthetic sets that exist.
    unit_file = out / 'units' / 'det' / 'dgan_fold0_seed0.json'
    kept = unit_file.read_text()
    unit_file.unlink()
    left = cv_main([*args, '--dry-run'])['todo']
    assert left['detector_units'] == 1 and left['gan_units'] == 0
    assert left['synthetic_sets'] == 0 and left['gan_s'] == left['synth_s'] == 0
    assert left['quality_sets'] == 0
    unit_file.write_text(kept)

    def redo(lost: Path):
        """Delete ``lost``, price what is left, run it: that plan and the run's log."""
        lost.unlink()
        todo = cv_main([*args, '--dry-run'])['todo']
        cv_main(args)
        return todo, _log(tmp_path)

    score_file = out / 'units' / 'quality' / 'dgan_fold1_gan0.json'
    kept_score = score_file.read_text()
    left, log = redo(score_file)
    assert left['detector_units'] == 0 and left['quality_sets'] == 1
    assert '[quality dgan_fold1_gan0]' in log and 'train.py' not in log
    assert json.loads(score_file.read_text())['inserted'] == json.loads(kept_score)['inserted']
    # A fresh checkout has the committed units but no work dir (results hold no weights):
    # a lost detector unit is priced with its GAN (whose checkpoint went with the work dir).
    shutil.rmtree(tmp_path / 'work')
    unit_file.unlink()
    left = cv_main([*args, '--dry-run'])['todo']
    assert left['detector_units'] == 1 and left['gan_units'] == 1 and left['synthetic_sets'] == 1
    assert not list(out.rglob('*.pth'))
    unit_file.write_text(kept)
    # The report is rebuilt from the unit files alone.
    (out / 'table.md').unlink()
    readme = tmp_path / 'README.md'
    readme.write_text('<!-- cv-table:start -->\n<!-- cv-table:end -->\n')
    assert cv_main([*args, '--report-only', '--readme', str(readme)])['goal'] == results['goal']
    assert f'Command: `{results["command"]}`' in readme.read_text()
    # One row each in the main table, the every-metric paired table and the
    # insertion-quality table; the README keeps the main table only.
    assert (out / 'table.md').read_text().count('| real + DetectorGAN |') == 3
    assert readme.read_text().count('| real + DetectorGAN |') == 1
    # Other settings are refused, not mixed in.
    with pytest.raises(ValueError, match='real_fold0_seed0.json was made with other settings'):
        cv_main([*args, '--cfg-options', 'real_epochs=0.5'])
    # Recorded paths are relative to the repository: a unit file names no checkout.
    repo = str(Path(_abs('.')).resolve())
    for unit_file in (out / 'units').glob('*/*.json'):
        assert repo not in unit_file.read_text() and '.venv' not in unit_file.read_text()


def test_cross_validation_dry_run(demo_data, tmp_path):
    """The plan of every mode and its cost, without training anything."""
    demo = 'configs/dgan_retinanet-effnet-lite0{}_1xb2-30it_demo-128px.py'
    every = dict(seeds=[0, 1], fractions=[0.5, 1.0], sweep_ratios=[2.0], extra_gan_seeds=1,
                 arms=['real', 'copy-paste', 'gan-nodet', 'dgan-nounroll', 'dgan'],
                 gan_configs={'dgan': demo.format(''), 'dgan-nounroll': demo.format('_nounroll'),
                              'gan-nodet': demo.format('_nodet')})
    args = [_tiny_experiment(tmp_path, demo_data, **every), '--dry-run']
    plan = cv_main(args)
    # 2 folds x 2 seeds x 5 arms; learning curve: 2 arms x 2 folds x 2 seeds at 50 %;
    # sweep: ratio 2 on fold 0 (2 seeds); GAN variance: GAN seed 1 on fold 0 (2 seeds).
    assert plan['plan']['detector_units'] == 20 + 8 + 2 + 2 == len(plan['units'])
    assert plan['plan']['gan_units'] == 6 + 2 + 1
    assert plan['plan']['synthetic_sets'] == 8 + 2 + 1 + 1
    assert {'dgan_fold0_seed1_ratio2', 'dgan_fold0_seed0_gan1', 'real_fold1_seed0_frac0.5',
            'dgan_fold1_seed1_frac0.5'} <= set(plan['units'])
    assert plan['todo'] == plan['plan'] and plan['plan']['core_hours'] > 0
    log = _log(tmp_path)
    assert 'CPU core-hours' in log and '$ ' not in log
    assert (tmp_path / 'results' / 'folds.json').is_file()
    assert not (tmp_path / 'results' / 'units').exists()
    # Another fold seed gives another assignment: refused against the saved folds.json.
    with pytest.raises(ValueError, match='folds.json holds another fold assignment'):
        cv_main([*args, '--cfg-options', 'fold_seed=1'])
    # Repeated k-fold: a second fold seed repeats the main comparison and the curve.
    repeated = cv_main([*args, '--cfg-options', 'extra_fold_seeds=[7]'])
    assert len(repeated['units']) == len(plan['units']) + 20 + 8
    assert 'dgan_fold1_seed1_frac0.5_folds7' in repeated['units']
    assert (tmp_path / 'results' / 'folds_seed7.json').is_file()
    # Per-fraction curve arms: DetectorGAN without unroll at 50 % only.
    extra = cv_main([_tiny_experiment(tmp_path, demo_data, 'cv_curve', **every,
                                      lc_arms_by_fraction={'0.5': ['real', 'dgan',
                                                                   'dgan-nounroll']}),
                     '--dry-run'])
    assert set(extra['units']) - set(plan['units']) == {
        f'dgan-nounroll_fold{k}_seed{s}_frac0.5' for k in (0, 1) for s in (0, 1)}


