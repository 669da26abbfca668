"""The small-data comparison end to end, CI-sized (tiny detector, 2 iterations)."""
import itertools
import json
import shutil
from pathlib import Path

import pytest

from tools.experiments.small_data import main

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


def test_small_data_experiment_end_to_end(demo_data, tmp_path, capsys):
    real, syn = _tiny_configs(tmp_path)
    arms = ['real', 'copy-paste', 'gan-nodet', 'dgan-nounroll', 'dgan']
    args = ['--data', 'demo', '--data-root', str(demo_data), '--seeds', '1',
            '--arms', *arms, '--det-iters', '2', '--gan-iters', '2', '--jobs', '2',
            '--syn-per-real', '0.5', '--work-dir', str(tmp_path / 'work'),
            '--results-dir', str(tmp_path / 'results'), '--det-config', real,
            '--det-syn-config', syn,
            '--gan-options', 'train_dataloader.dataset.clean_pipeline.1.scale=(64,64)',
            'train_dataloader.dataset.labelled_pipeline.2.scale=(64,64)']
    results = main(args)
    out = tmp_path / 'results'
    assert (out / 'table.md').is_file() and (out / 'ap50.png').stat().st_size > 0
    saved = json.loads((out / 'results.json').read_text())
    assert saved['command'] == results['command']
    assert sorted(saved['arms']) == sorted(arms)
    assert saved['settings']['arms'] == arms
    assert saved['settings']['units_done'] == saved['settings']['units_total'] == 5
    held_out = sum(len(json.loads((demo_data / f).read_text())['annotations'])
                   for f in ('val.json', 'test.json'))
    assert saved['settings']['eval_set']['boxes'] == held_out
    for name, arm in saved['arms'].items():
        for metric in ('mAP', 'AP50', 'loc_acc'):
            assert 0.0 <= arm[metric]['mean'] <= 1.0 and arm[metric]['std'] == 0.0
        assert any('tools/test.py' in c for c in arm['commands']['0'])
        # Units are saved next to the report (committed, so a later session resumes).
        unit = json.loads((out / 'units' / f'{name}_seed0.json').read_text())
        assert unit['metrics'] == arm['per_seed']['0'] and unit['threads'] == 1
        if name != 'real':
            diff = arm['paired_diff_vs_real']['AP50']['mean']
            assert diff == arm['AP50']['mean'] - saved['arms']['real']['AP50']['mean']
    # Every GAN arm trains its own config file: the ablations are configs, not code.
    for name, token in (('dgan', 'dgan_retinanet-r18_1xb2'),
                        ('dgan-nounroll', 'dgan_retinanet-r18_nounroll_'),
                        ('gan-nodet', 'dgan_retinanet-r18_nodet_')):
        train_cmds = [c for c in saved['arms'][name]['commands']['0']
                      if 'tools/train.py' in c and 'dgan_' in c]
        assert len(train_cmds) == 1 and token in train_cmds[0]
    syn_coco = json.loads((tmp_path / 'work' / 'dgan' / 'seed0' / 'synthetic' / 'train.json')
                          .read_text())
    assert len(syn_coco['images']) == 6  # 0.5 x 12 real labelled images
    # Synthesis ran at the GAN's (overridden) training resolution.
    assert {(i['width'], i['height']) for i in syn_coco['images']} == {(64, 64)}
    # Resumable: a second run loads every finished unit and trains nothing.
    capsys.readouterr()
    main(args)
    log = capsys.readouterr().out
    assert log.count('done before') == 5 and '$ ' not in log
    # Units of another schedule are never mixed into this report.
    other = [a if a != '2' or args[i - 1] != '--det-iters' else '3' for i, a in enumerate(args)]
    with pytest.raises(ValueError, match='real_seed0.json was made with other settings'):
        main(other)


def test_ablations_have_config_files():
    """Each dataset / schedule defines its ablations in config files, found by tag."""
    from mmengine.config import Config

    from mmdgan.experiments.small_data import detector_family, find_gan_config
    assert detector_family('configs/detector/retinanet_r18_1xb4-1500it_demo.py') == \
        'retinanet-r18'
    assert detector_family('retinanet_effnet-lite0_1xb4-1000it_mini-mias.py') == \
        'retinanet-effnet-lite0'
    for tag, family in itertools.product(('demo', 'demo-128px', 'mini-mias'),
                                         ('retinanet-r18', 'retinanet-effnet-lite0')):
        full = Config.fromfile(_abs(find_gan_config(tag, '', family=family)))
        nounroll = Config.fromfile(_abs(find_gan_config(tag, 'nounroll', family=family)))
        nodet = Config.fromfile(_abs(find_gan_config(tag, 'nodet', family=family)))
        assert family in find_gan_config(tag, '', family=family)
        assert full.model.unroll.mode == 'exact' and full.model.loss_weights.det_syn > 0
        assert nounroll.model.unroll.mode == 'none'
        assert nounroll.model.loss_weights == full.model.loss_weights
        assert nodet.model.loss_weights.det_syn == 0 and nodet.model.unroll.weight == 0
        # Nothing else differs from the full DetectorGAN.
        for cfg in (nounroll, nodet):
            assert cfg.train_dataloader == full.train_dataloader
            assert cfg.train_cfg == full.train_cfg
    with pytest.raises(FileNotFoundError, match='dgan_\\*_nodet\\*_nowhere.py'):
        find_gan_config('nowhere', 'nodet')


def test_mini_mias_cv_preset_uses_local_crop_ablations():
    """The mini-MIAS comparison trains local-crop GANs (issue 11); its ablations
    differ from the full DetectorGAN in the detector terms only."""
    from mmengine.config import Config

    from tools.experiments.cross_validation import PRESETS
    configs = {arm: Config.fromfile(_abs(path))
               for arm, path in PRESETS[('mini-mias', False)]['gan_configs'].items()}
    assert sorted(configs) == ['dgan', 'dgan-nounroll', 'dgan-unroll', 'gan-nodet']
    full = configs['dgan']
    assert full.model.local_crop.crop_size > 0 and full.model.unroll.mode == 'exact'
    assert configs['dgan-nounroll'].model.unroll.mode == 'none'
    assert configs['gan-nodet'].model.loss_weights.det_syn == 0
    # The sixth arm: the unroll alone, with a smaller step and the same step x weight.
    unroll_only = configs['dgan-unroll'].model
    assert unroll_only.loss_weights.det_syn == 0 and unroll_only.unroll.mode == 'exact'
    assert unroll_only.unroll.inner_lr * unroll_only.unroll.weight == pytest.approx(
        full.model.unroll.inner_lr * full.model.unroll.weight)
    # Late arms: that one, and real only at the augmented arms' steps (no GAN).
    assert PRESETS[('mini-mias', False)]['late_arms'] == ('real-steps', 'dgan-unroll')
    for cfg in configs.values():
        assert cfg.model.local_crop == full.model.local_crop
        assert cfg.train_dataloader == full.train_dataloader and cfg.train_cfg == full.train_cfg


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


def test_report_known_answers():
    """Means, paired differences and the goal sentences on hand-made units."""
    from mmdgan.experiments.report import aggregate, goal_check
    from mmdgan.experiments.small_data import ARMS

    def unit(arm, seed, ap50):
        return dict(arm=arm, seed=seed, commands=[],
                    metrics=dict(mAP=ap50 / 2, AP50=ap50, loc_acc=ap50))

    units = [unit('real', 0, 0.10), unit('real', 1, 0.20),
             unit('copy-paste', 0, 0.16), unit('copy-paste', 1, 0.22),
             unit('dgan', 0, 0.15), unit('dgan', 1, 0.25)]
    summary = aggregate(units, list(ARMS.values()))
    assert list(summary) == ['real', 'copy-paste', 'dgan']
    assert abs(summary['dgan']['AP50']['mean'] - 0.20) < 1e-12
    assert abs(summary['dgan']['AP50']['std'] - 0.0707107) < 1e-6  # sample std of .15, .25
    diff = summary['dgan']['paired_diff_vs_real']['AP50']
    assert abs(diff['mean'] - 0.05) < 1e-12 and diff['std'] < 1e-12
    lines = goal_check(summary)
    assert lines[0].startswith('DetectorGAN AP50 / real-only AP50 = 0.2000 / 0.1500 = 1.33')
    assert lines[0].endswith('met.') and 'NOT' not in lines[0]
    # dgan - copy-paste per seed: -0.01, +0.03 -> +0.01 ± 0.028: within the spread.
    assert 'above real + copy-paste' in lines[1] and 'within the seed spread' in lines[1]
    assert len(lines) == 2  # no no-unroll arm, no sentence about it


def test_copy_paste_without_a_gan_config_says_so(demo_data, tmp_path):
    """Issue 13.10: the fallback to a default box sampler used to be silent."""
    from mmdgan.experiments import ExperimentSettings
    real, syn = _tiny_configs(tmp_path)
    with pytest.warns(UserWarning, match=r'copy-paste arm: expected one DetectorGAN config '
                      r'.*_no-such-tag\.py.*default box sampler'):
        settings = ExperimentSettings(
            data='demo', data_root=str(demo_data), seeds=[0], arms=['copy-paste'],
            work_dir=str(tmp_path / 'w'), results_dir=str(tmp_path / 'r'), det_config=real,
            det_syn_config=syn, config_tag='no-such-tag')
    assert 'dgan' not in settings.gan_configs


def test_cross_validation_end_to_end(demo_data, tmp_path, capsys):
    """2 folds, tiny schedules: folds, warm-started GAN, synthesis, scoring, report, resume."""
    from tools.experiments.cross_validation import main as cv_main
    real, syn = _tiny_configs(tmp_path)
    tiny_gan = ['model.detector.neck.out_channels=16', 'model.detector.bbox_head.in_channels=16',
                'model.detector.bbox_head.feat_channels=16',
                'model.detector.bbox_head.stacked_convs=1',
                'train_dataloader.dataset.clean_pipeline.1.scale=(64,64)',
                'train_dataloader.dataset.labelled_pipeline.2.scale=(64,64)']
    args = ['--data', str(demo_data), '--quick', '--folds', '2', '--seeds', '1',
            '--arms', 'real', 'dgan', '--real-epochs', '0.25', '--gan-iters', '2',
            '--syn-per-real', '0.5', '--jobs', '1', '--in-process', '--quality-images', '4',
            '--work-dir', str(tmp_path / 'work'),
            '--results-dir', str(tmp_path / 'results'), '--det-config', real,
            '--det-syn-config', syn, '--gan-options', *tiny_gan]
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
    capsys.readouterr()
    cv_main(args)
    assert '$ ' not in capsys.readouterr().out
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
        capsys.readouterr()
        cv_main(args)
        return todo, capsys.readouterr().out

    score_file = out / 'units' / 'quality' / 'dgan_fold1_gan0.json'
    kept_score = score_file.read_text()
    left, log = redo(score_file)
    assert left['detector_units'] == 0 and left['quality_sets'] == 1
    assert '[quality dgan_fold1_gan0]' in log and 'train.py' not in log
    assert json.loads(score_file.read_text())['inserted'] == json.loads(kept_score)['inserted']
    # A fresh checkout has the committed units but no work dir: the GAN's inserter
    # weights were committed beside its unit (a fraction of the checkpoint), so a lost
    # detector unit is redone from them, GAN untrained, to the same numbers.
    gan_unit = json.loads((out / 'units' / 'gan' / 'dgan_fold0_gan0.json').read_text())
    inserter = out / 'units' / 'gan' / gan_unit['inserter']
    assert inserter.stat().st_size < Path(gan_unit['checkpoint']).stat().st_size / 5
    shutil.rmtree(tmp_path / 'work')
    left, log = redo(unit_file)
    assert left['gan_units'] == 0 and left['synthetic_sets'] == 1
    assert 'synthesize.py' in log and '[GAN ' not in log
    redone = json.loads(unit_file.read_text())
    assert redone['metrics'] == json.loads(kept)['metrics']
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
        cv_main([a if a != '0.25' else '0.5' for a in args])


def test_cross_validation_dry_run(demo_data, tmp_path, capsys):
    """The plan of every mode and its cost, without training anything."""
    from tools.experiments.cross_validation import main as cv_main
    args = ['--data', 'demo', '--data-root', str(demo_data), '--quick', '--folds', '2',
            '--seeds', '2', '--fractions', '0.5', '1', '--sweep-ratios', '2',
            '--extra-gan-seeds', '1', '--work-dir', str(tmp_path / 'work'),
            '--results-dir', str(tmp_path / 'results'), '--dry-run']
    plan = cv_main(args)
    # 2 folds x 2 seeds x 5 arms; learning curve: 2 arms x 2 folds x 2 seeds at 50 %;
    # sweep: ratio 2 on fold 0 (2 seeds); GAN variance: GAN seed 1 on fold 0 (2 seeds).
    assert plan['plan']['detector_units'] == 20 + 8 + 2 + 2 == len(plan['units'])
    assert plan['plan']['gan_units'] == 6 + 2 + 1
    assert plan['plan']['synthetic_sets'] == 8 + 2 + 1 + 1
    assert {'dgan_fold0_seed1_ratio2', 'dgan_fold0_seed0_gan1', 'real_fold1_seed0_frac0.5',
            'dgan_fold1_seed1_frac0.5'} <= set(plan['units'])
    assert plan['todo'] == plan['plan'] and plan['plan']['core_hours'] > 0
    log = capsys.readouterr().out
    assert 'CPU core-hours' in log and '$ ' not in log
    assert (tmp_path / 'results' / 'folds.json').is_file()
    assert not (tmp_path / 'results' / 'units').exists()
    # Another fold seed gives another assignment: refused against the saved folds.json.
    with pytest.raises(ValueError, match='folds.json holds another fold assignment'):
        cv_main([*args, '--fold-seed', '1'])


def test_cross_validation_learning_curve_controls(demo_data, tmp_path):
    """``--lc-control-arms``: given, preset, or dropped with an explicit ``--arms``."""
    from tools.experiments.cross_validation import parse_args, settings_from_args
    common = ['--data-root', str(demo_data), '--work-dir', str(tmp_path / 'work'),
              '--results-dir', str(tmp_path / 'results')]
    assert settings_from_args(parse_args(['--data', 'demo', *common])).lc_control_arms == ()
    chosen = settings_from_args(parse_args(['--data', 'demo', '--lc-control-arms', 'copy-paste',
                                            *common]))
    assert list(chosen.lc_control_arms) == ['copy-paste']
    mias = ['--data', 'mini-mias', *common]
    assert settings_from_args(parse_args(mias)).lc_control_arms == ('copy-paste', 'real-steps')
    assert settings_from_args(parse_args([*mias, '--arms', 'real', 'dgan'])).lc_control_arms == ()
    assert settings_from_args(parse_args([*mias, '--lc-control-arms'])).lc_control_arms == []
