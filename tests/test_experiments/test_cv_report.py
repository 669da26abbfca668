"""The cross-validated report from hand-made units: tables, paired statistics, goal."""
import json

import pytest

from mmdgan.experiments.markdown import goal_sentences, readme_table, update_markdown_block
from mmdgan.experiments.report import write_cv_report
from mmdgan.experiments.statistics import (
    gan_variance,
    insertion_quality_summary,
    paired_rows,
    planned_pairs,
    still_running,
    summarize,
)
from tests.test_experiments.cv_units import SETTINGS, _unit, _units


def test_summary_and_paired_statistics():
    summary = summarize(_units(), SETTINGS)
    assert list(summary) == ['real', 'copy-paste', 'dgan-nounroll', 'dgan']
    assert summary['real']['pairs'] == 6
    assert summary['real']['AP50']['mean'] == pytest.approx(0.106)
    assert summary['dgan']['AP50']['mean'] == pytest.approx(0.128)
    assert summary['real']['per_fold_AP50'] == {'0': pytest.approx(0.101),
                                                '1': pytest.approx(0.111)}
    vs_real = summary['dgan']['paired_vs_real']['AP50']
    assert vs_real['n'] == 6 and vs_real['mean'] == pytest.approx(0.022)
    assert vs_real['wilcoxon_p'] == pytest.approx(2 / 2 ** 6)  # 6 of 6 positive
    assert 0.02 <= vs_real['boot_low'] < vs_real['boot_high'] <= 0.024 + 1e-12
    assert vs_real['per_pair']['fold1_seed2'] == pytest.approx(0.024)
    vs_nounroll = summary['dgan']['paired_vs_dgan-nounroll']['AP50']
    assert vs_nounroll['mean'] == pytest.approx(0.012)
    # The real-only arm is never paired with itself.
    assert 'paired_vs_real' not in summary['real']
    # Extra units (learning curve, sweep, GAN seed 1) stay out of the main table.
    assert summary['dgan']['pairs'] == 6


def _line(lines, start):
    """The one goal sentence that starts with ``start`` (sentences are found by what
    they say, never by their position)."""
    found = [line for line in lines if line.startswith(start)]
    assert len(found) == 1, (start, lines)
    return found[0]


def _numbers(text):
    """The signed decimal numbers of a sentence, in order."""
    import re
    return [float(x) for x in re.findall(r'[+-]?\d+\.\d+', text)]


def test_goal_sentences():
    summary = summarize(_units(), SETTINGS)
    lines = goal_sentences(summary)
    ratio = _line(lines, 'DetectorGAN AP50 / real-only AP50')
    dgan, real = summary['dgan']['AP50']['mean'], summary['real']['AP50']['mean']
    assert _numbers(ratio)[:3] == [round(dgan, 4), round(real, 4), round(dgan / real, 2)]
    assert ratio.endswith(': met.')
    vs_real = summary['dgan']['paired_vs_real']['AP50']
    paired_line = _line(lines, 'paired ΔAP50 DetectorGAN − real only')
    assert _numbers(paired_line)[:3] == [round(vs_real[k], 4)
                                         for k in ('mean', 'boot_low', 'boot_high')]
    assert f'p = {vs_real["wilcoxon_p"]:.3f}' in paired_line
    assert paired_line.endswith('interval above zero.')
    _line(lines, 'DetectorGAN above real + copy-paste')
    _line(lines, 'DetectorGAN above real + DetectorGAN w/o unroll')
    assert _line(lines, 'Goal (') == 'Goal (ratio >= 1.2, every interval above zero): met.'
    _line(lines, 'The spread over fold × seed pairs excludes GAN variance')
    # What the design can see, from its own spread: std of the 6 differences
    # (0.020, 0.022, 0.024 twice) 0.0017889; (2.5705818 + 0.9195438) * std / sqrt(6) = 0.0025488.
    power = _line(lines, 'Power: ')
    assert _numbers(power)[:4] == [round(vs_real['std'], 4), 0.0025, 0.02, 0.2]
    assert 'gain of 0.2 × real-only (+0.0212) would need 2 pairs' in power
    # A smaller DetectorGAN gain: ratio below 1.2, goal not met.
    worse = [dict(u, metrics=dict(u['metrics'], AP50=u['metrics']['AP50'] - 0.015))
             if u['unit']['arm'] == 'dgan' else u for u in _units()]
    lines = goal_sentences(summarize(worse, SETTINGS))
    assert _line(lines, 'DetectorGAN AP50 / real-only AP50').endswith('NOT met.')
    assert _line(lines, 'Goal (').endswith('NOT met.')
    _line(lines, 'DetectorGAN NOT shown above real + DetectorGAN w/o unroll')
    # A real-only arm that finds nothing gives no ratio, and no goal.
    floor = [dict(u, metrics=dict(u['metrics'], AP50=0.0)) for u in _units()]
    lines = goal_sentences(summarize(floor, SETTINGS))
    assert 'undefined' in _line(lines, 'DetectorGAN AP50 / real-only AP50')
    assert _line(lines, 'Goal (').endswith('NOT met.')


def test_goal_cautions_when_only_the_pair_bootstrap_clears_zero():
    # Fold 0 gains a lot, fold 1 nothing: every pair interval clears zero (5 of
    # 6 resampled pairs from fold 1 still average above it), but resampling
    # whole folds draws fold 1 twice a quarter of the time.
    def fold_effect(u):
        k = u['unit']
        return 0.08 + 0.001 * k['seed'] if k['fold'] == 0 else 0.001 * (k['seed'] - 1)

    units = [dict(u, metrics=dict(u['metrics'], AP50=u['metrics']['AP50'] - 0.02 - 0.002 *
                                  u['unit']['seed'] + fold_effect(u)))
             if u['unit']['arm'] == 'dgan' and u['unit']['fraction'] == 1.0 else u
             for u in _units()]
    summary = summarize(units, SETTINGS)
    vs_real = summary['dgan']['paired_vs_real']['AP50']
    assert vs_real['boot_low'] > 0 > vs_real['cluster_low'] and vs_real['groups'] == 2
    lines = goal_sentences(summary)
    clustered = _line(lines, 'paired ΔAP50 DetectorGAN − real only').split(
        'fold-clustered bootstrap over 2 folds ')[1]
    assert _numbers(clustered)[:2] == [round(vs_real['cluster_low'], 4),
                                       round(vs_real['cluster_high'], 4)]
    assert _line(lines, 'Goal (') == 'Goal (ratio >= 1.2, every interval above zero): met.'
    _line(lines, 'Caution: the goal holds on the pair bootstrap, but not every')
    # Where the folds agree there is no caution.
    assert not any(line.startswith('Caution') for line in goal_sentences(
        summarize(_units(), SETTINGS)))


def test_ratio_on_shared_pairs_while_incomplete():
    """Midway through a run the ratio compares the same held-out films and seeds."""
    # DetectorGAN has fold 0 only; real-only's fold 1 (higher AP50) must not enter.
    partial = [u for u in _units() if u['unit']['arm'] != 'dgan' or u['unit']['fold'] == 0]
    summary = summarize(partial, SETTINGS)
    shared = summary['dgan']['ratio_vs_real']
    assert shared['pairs'] == 3 and shared['real_AP50'] == pytest.approx(0.101)
    assert shared['ratio'] == pytest.approx(shared['AP50'] / 0.101)
    line = _line(goal_sentences(summary), 'DetectorGAN AP50 / real-only AP50')
    assert f'= {shared["ratio"]:.2f} on the 3 fold × seed pairs both have' in line
    no_shared = [u for u in _units() if u['unit']['arm'] != 'real' or u['unit']['fold'] == 1]
    no_shared = [u for u in no_shared if u['unit']['arm'] != 'dgan' or u['unit']['fold'] == 0]
    _line(goal_sentences(summarize(no_shared, SETTINGS)), 'DetectorGAN and real-only share no')


def test_gan_variance_compares_gan_seeds_on_the_same_detector_seeds():
    # GAN seed 1 has only detector seed 0 so far; seed 0's seeds 1, 2 (higher AP50) stay out.
    partial = [u for u in _units() if u['unit']['gan_seed'] == 0 or u['unit']['seed'] == 0]
    var = gan_variance(partial, SETTINGS)
    dgan = var['arms']['dgan']
    fold0_dgan_seed0 = 0.10 + 0.02  # _units(): real + 0.02 on fold 0, seed 0
    assert dgan['per_gan_seed']['0']['mean'] == pytest.approx(fold0_dgan_seed0)
    assert dgan['per_gan_seed']['1']['mean'] == pytest.approx(0.13)
    assert dgan['detector_seeds'] == [0] and dgan['within_gan_detector_seed_std'] is None
    assert 'on detector seed 0 only' in var['sentence']
    assert 'mean std over detector seeds' not in var['sentence']
    complete = gan_variance(_units(), SETTINGS)
    assert complete['arms']['dgan']['detector_seeds'] == [0, 1, 2]
    assert 'only' not in complete['sentence']
    assert complete['arms']['dgan']['within_gan_detector_seed_std'] > 0


def var_sentence(results):
    return results['gan_variance']['sentence']


def test_written_report(tmp_path):
    results = write_cv_report(_units(), SETTINGS, tmp_path, 'python run.py')
    saved = json.loads((tmp_path / 'results.json').read_text())
    assert saved['goal'] == results['goal'] and saved['units_done'] == len(_units())
    lc = saved['learning_curve']
    assert lc['real']['0.5']['AP50']['mean'] == pytest.approx(0.053)
    assert lc['dgan']['0.5']['paired_vs_real']['AP50']['mean'] == pytest.approx(0.01)
    # Both paper metrics (and mAP) on the curve, each paired: loc_top1 is 2 x AP50 here.
    assert lc['dgan']['0.5']['paired_vs_real']['loc_top1']['mean'] == pytest.approx(0.02)
    dgan_half = lc['dgan']['0.5']
    assert dgan_half['loc_top1']['mean'] == pytest.approx(2 * dgan_half['AP50']['mean'])
    sweep = saved['ratio_sweep']['dgan']
    assert set(sweep) == {'1', '2'} and sweep['2']['paired_vs_real']['mean'] == pytest.approx(0.04)
    var = saved['gan_variance']['arms']['dgan']
    assert var['per_gan_seed']['1']['mean'] == pytest.approx(0.131)
    assert _line(saved['goal'], 'GAN variance on fold 0') == var_sentence(saved)
    _line(saved['goal'], 'Power: ')
    table = (tmp_path / 'table.md').read_text()
    assert 'Command: `python run.py`' in table and '## Learning curve' in table
    curve = table.split('## Learning curve')[1]
    assert all(f'### {t} (mean ± std' in curve for t in ('AP50', 'mAP', 'top-1 loc.'))
    assert '| real + DetectorGAN | 0.128 ± ' in table and 'p=0.031' in table
    assert 'Operating point not reached' not in table
    # Every metric's paired difference, not only AP50: mAP is AP50 / 3 in the
    # hand-made units, so DetectorGAN's Δ mAP is a third of its Δ AP50.
    every = table.split('## Paired differences against real only, every metric')[1].split('##')[0]
    dgan_row = next(line for line in every.split('\n') if line.startswith('| real + DetectorGAN |'))
    cells = [c.strip() for c in dgan_row.strip('|').split('|')]
    assert cells[1].startswith('+0.022 [') and cells[2].startswith('+0.007 [')
    assert cells[5].startswith('+0.000 [')  # det. / normal film: equal in every unit
    assert 'without correction for the 18 comparisons' in every
    assert '| real only |' not in every
    missed = [dict(u, metrics=dict(u['metrics'], op_reached=u['unit']['seed'] != 0))
              for u in _units()]
    write_cv_report(missed, SETTINGS, tmp_path, 'python run.py')
    assert 'real + DetectorGAN: 2 of 6' in (tmp_path / 'table.md').read_text()
    assert (tmp_path / 'ap50.png').stat().st_size > 0
    assert (tmp_path / 'learning_curve.png').stat().st_size > 0
    assert (tmp_path / 'paired_ap50.png').stat().st_size > 0
    assert (tmp_path / 'paired_top1.png').stat().st_size > 0


def test_paired_rows_are_the_reported_differences():
    summary = summarize(_units(), SETTINGS)
    rows = paired_rows(summary, 'real')
    assert [r['label'] for r in rows] == [summary[a]['label']
                                          for a in ('copy-paste', 'dgan-nounroll', 'dgan')]
    dgan = rows[-1]
    stats = summary['dgan']['paired_vs_real']['AP50']
    assert dgan['folds'] == [0, 0, 0, 1, 1, 1]
    assert dgan['diffs'] == pytest.approx([0.02, 0.022, 0.024, 0.02, 0.022, 0.024])
    assert (dgan['mean'], dgan['low'], dgan['high'], dgan['cluster_low']) == (
        stats['mean'], stats['boot_low'], stats['boot_high'], stats['cluster_low'])
    # The reference arm has no row of its own; a lone pair has no interval.
    assert [r['label'] for r in paired_rows(summary, 'dgan-nounroll')] == [
        summary[a]['label'] for a in ('real', 'copy-paste', 'dgan')]
    one = summarize([u for u in _units() if (u['unit']['fold'], u['unit']['seed']) == (0, 0)],
                    SETTINGS)
    assert paired_rows(one, 'real')[-1]['low'] is None


def _score(arm, fold, inserted, clean, fraction=1.0, gan_seed=0):
    return dict(source=dict(fold=fold, arm=arm, gan_seed=gan_seed, fraction=fraction),
                images=500, inserted=dict(kernel=inserted, frechet=1e3 * inserted),
                clean=dict(kernel=clean, frechet=1e3 * clean))


def test_insertion_quality_summary(tmp_path):
    """Ratios are taken per fold (each fold has its own real crops), then averaged."""
    scores = [_score('dgan', 0, 0.02, 0.04), _score('dgan', 1, 0.06, 0.03),
              _score('copy-paste', 0, 0.01, 0.04), _score('dgan', 0, 0.05, 0.05, fraction=0.5),
              _score('dgan', 0, 0.03, 0.04, gan_seed=1)]
    rows = insertion_quality_summary(scores)
    # Main comparison first (in arm order), then other GAN seeds, then smaller fractions.
    assert [(r['arm'], r['fraction'], r['gan_seed']) for r in rows] == [
        ('copy-paste', 1.0, 0), ('dgan', 1.0, 0), ('dgan', 1.0, 1), ('dgan', 0.5, 0)]
    dgan = rows[1]
    assert dgan['folds'] == [0, 1]
    assert dgan['ratio']['mean'] == pytest.approx((0.5 + 2.0) / 2)
    assert dgan['inserted_kernel']['mean'] == pytest.approx(0.04)
    write_cv_report(_units(), SETTINGS, tmp_path, 'python run.py', quality=scores)
    table = (tmp_path / 'table.md').read_text()
    assert '| real + DetectorGAN | 40.0 ± 28.3 | 35.0 ± 7.1 | 1.25 ± 1.06 |' in table
    assert '| real + DetectorGAN, 50% of labelled films |' in table
    assert '| real + DetectorGAN, GAN seed 1 |' in table
    assert json.loads((tmp_path / 'results.json').read_text())['insertion_quality'] == rows


def test_insertion_quality_ratio_needs_resolved_clean_distance(tmp_path):
    """Few real crops leave the clean distance inside its noise: no ratio is printed then."""
    def scored(fold, clean, se, fraction=1.0):
        score = _score('dgan', fold, 0.02, clean, fraction=fraction)
        score['inserted']['kernel_se'] = score['clean']['kernel_se'] = se
        score['real_crops'] = 100 * fraction
        return score

    scores = [scored(0, 0.04, 0.01), scored(1, 0.03, 0.01),
              scored(0, 0.04, 0.01, fraction=0.25), scored(1, -0.002, 0.01, fraction=0.25)]
    full, quarter = insertion_quality_summary(scores)
    assert full['ratio_resolved'] and not quarter['ratio_resolved']
    assert quarter['kernel_se'] == pytest.approx(0.01) and quarter['real_crops'] == 25
    write_cv_report(_units(), SETTINGS, tmp_path, 'python run.py', quality=scores)
    table = (tmp_path / 'table.md').read_text()
    assert '| real + DetectorGAN | 20.0 ± 0.0 | 35.0 ± 7.1 | 0.58 ± 0.12 |' in table
    assert '| 10.0 (100) | 2 |' in table
    assert ('| real + DetectorGAN, 25% of labelled films | 20.0 ± 0.0 | 19.0 ± 29.7 | '
            'not resolved |') in table


def test_readme_block(tmp_path):
    results = write_cv_report(_units(), SETTINGS, tmp_path, 'python run.py')
    readme = tmp_path / 'README.md'
    readme.write_text('# Results\n<!-- cv-table:start -->\nOLD TABLE\n'
                      '<!-- cv-table:end -->\nafter\n')
    update_markdown_block(readme, 'cv-table', readme_table(results))
    text = readme.read_text()
    assert text.startswith('# Results\n<!-- cv-table:start -->\nCommand: `python run.py`')
    assert 'OLD TABLE' not in text and text.endswith('<!-- cv-table:end -->\nafter\n')
    assert text.count('| real + DetectorGAN |') == 1 and 'Goal (ratio' in text
    update_markdown_block(readme, 'cv-table', readme_table(results))
    assert readme.read_text() == text  # idempotent
    readme.write_text('no block here\n')
    with pytest.raises(ValueError, match='cv-table:start'):
        update_markdown_block(readme, 'cv-table', 'x')


def test_learning_curve_control_arm(tmp_path):
    settings = dict(SETTINGS, lc_control_arms=['copy-paste'])
    units = _units() + [_unit('copy-paste', fold, seed, 0.05 + 0.01 * fold + 0.001 * seed,
                              fraction=0.5) for fold in (0, 1) for seed in (0, 1, 2)]
    results = write_cv_report(units, settings, tmp_path, 'python run.py')
    curve = results['learning_curve']
    # At 50 %: real-only (0.10 + 0.01 fold + 0.001 seed) / 2, DetectorGAN that + 0.01.
    assert curve['copy-paste']['0.5']['paired_vs_real']['AP50']['mean'] == pytest.approx(0.003)
    assert 'paired_vs_dgan' not in curve['copy-paste']['0.5']
    assert not [k for k in curve['real']['0.5'] if k.startswith('paired_vs_')]
    vs_control = curve['dgan']['0.5']['paired_vs_copy-paste']['AP50']
    assert vs_control['n'] == 6 and vs_control['mean'] == pytest.approx(0.007)
    # At 100 % the curve repeats the main comparison's pairs.
    assert curve['dgan']['1']['paired_vs_copy-paste']['AP50']['mean'] == pytest.approx(
        results['arms']['dgan']['AP50']['mean'] - results['arms']['copy-paste']['AP50']['mean'])
    table = (tmp_path / 'table.md').read_text()
    assert ('- real + DetectorGAN − real + copy-paste, 50% of labelled films: ΔAP50 +0.007 ['
            in table)
    curve_text = table.split('## Learning curve')[1].split('\n## ')[0]
    assert '| real + copy-paste | 0.056 ± ' in curve_text and '- real only −' not in curve_text
    assert ' pairs)' not in curve_text  # every arm complete: no pair counts


def test_learning_curve_marks_an_arm_still_running(tmp_path):
    """A mean over fewer pairs than the other arms' is over other films: the cell says so."""
    settings = dict(SETTINGS, lc_control_arms=['copy-paste'])
    units = _units() + [_unit('copy-paste', 0, seed, 0.05, fraction=0.5) for seed in (0, 1)]
    results = write_cv_report(units, settings, tmp_path, 'python run.py')
    # The chart marks the same points as the table (hollow, with "2/6").
    assert still_running(results['learning_curve']) == {('copy-paste', '0.5'): (2, 6)}
    assert (tmp_path / 'learning_curve.png').stat().st_size > 0
    curve_text = (tmp_path / 'table.md').read_text().split('## Learning curve')[1]
    row = next(line for line in curve_text.split('\n') if line.startswith('| real + copy-paste'))
    assert '; 2 of 6 pairs)' in row.split(' | ')[1]  # 50 %
    assert 'pairs' not in row.split(' | ')[2]  # 100 %: complete


def test_steps_matched_arm(tmp_path):
    settings = dict(SETTINGS, arms=[*SETTINGS['arms'], 'real-steps'],
                    lc_control_arms=['real-steps'])
    # Twice the steps lift real-only by 0.005 at both fractions.
    units = _units() + [_unit('real-steps', fold, seed, (0.10 + 0.01 * fold + 0.001 * seed)
                              / (2 if fraction == 0.5 else 1) + 0.005, fraction=fraction,
                              ratio=0.0)
                        for fold in (0, 1) for seed in (0, 1, 2) for fraction in (0.5, 1.0)]
    results = write_cv_report(units, settings, tmp_path, 'python run.py')
    assert results['arms']['real-steps']['paired_vs_real']['AP50']['mean'] == pytest.approx(0.005)
    assert results['learning_curve']['dgan']['0.5']['paired_vs_real-steps']['AP50']['mean'] == \
        pytest.approx(0.005)
    table = (tmp_path / 'table.md').read_text()
    # The one arm without equal real exposure says so, with its passes (30 x (1 + 1)).
    assert ('every arm sees each real film equally often, except real only, augmented steps: '
            "the augmented arms' iterations on the real films alone, ≈ 60 passes)") in table
    assert '| real only, augmented steps | 0.111 ± ' in table
    assert ('- real + DetectorGAN − real only, augmented steps, 50% of labelled films: '
            'ΔAP50 +0.005 [') in table
    # At 100 % every augmented arm is also weighed against the steps-matched control,
    # every metric, on the pairs both have; real-only is not (it is in the table above).
    vs_steps = results['arms']['dgan']['paired_vs_real-steps']['AP50']
    assert vs_steps['n'] == 6 and vs_steps['mean'] == pytest.approx(0.017)
    assert 'paired_vs_real-steps' not in results['arms']['real']
    steps = table.split('## Paired differences against real only, augmented steps, '
                        'every metric')[1].split('##')[0]
    assert "worth the steps they add; none enters the goal." in steps
    rows = {line.split(' | ')[0]: [c.strip() for c in line.strip('|').split('|')]
            for line in steps.split('\n') if line.startswith('| real')}
    assert set(rows) == {'| real + copy-paste', '| real + DetectorGAN w/o unroll',
                         '| real + DetectorGAN'}
    assert rows['| real + copy-paste'][1].startswith('-0.015 [')
    assert rows['| real + DetectorGAN'][2].startswith('+0.006 [')  # mAP: AP50 / 3
    assert rows['| real + DetectorGAN'][-1] == '6'
    # Without the arm the sentence stays as it was, and there is no such table.
    write_cv_report(_units(), SETTINGS, tmp_path / 'plain', 'python run.py')
    plain = (tmp_path / 'plain' / 'table.md').read_text()
    assert 'each real film equally often), ' in plain and 'augmented steps' not in plain


def test_controls_against_the_steps_matched_control(tmp_path):
    """Copy-paste is weighed against real-only at its own steps; not the other way round."""
    settings = dict(SETTINGS, arms=[*SETTINGS['arms'], 'real-steps'],
                    lc_control_arms=['copy-paste', 'real-steps'])
    real = {(fold, seed): (0.10 + 0.01 * fold + 0.001 * seed) / 2
            for fold in (0, 1) for seed in (0, 1, 2)}
    units = _units() + [
        _unit(arm, fold, seed, ap + lift + 0.001 * seed * (arm == 'copy-paste'), fraction=0.5,
              ratio=0.0 if arm == 'real-steps' else None)
        for (fold, seed), ap in real.items()
        for arm, lift in (('real-steps', 0.008), ('copy-paste', 0.002))]
    curve = write_cv_report(units, settings, tmp_path, 'python run.py')['learning_curve']
    vs_steps = curve['copy-paste']['0.5']['paired_vs_real-steps']['AP50']
    assert vs_steps['n'] == 6 and vs_steps['mean'] == pytest.approx(-0.006 + 0.001)
    assert [k for k in curve['real-steps']['0.5'] if k.startswith('paired_vs_')] == [
        'paired_vs_real']
    assert set(k for k in curve['dgan']['0.5'] if k.startswith('paired_vs_')) == {
        'paired_vs_real', 'paired_vs_copy-paste', 'paired_vs_real-steps'}
    table = (tmp_path / 'table.md').read_text()
    assert ('- real + copy-paste − real only, augmented steps, 50% of labelled films: '
            'ΔAP50 -0.005 [') in table
    assert '- real only, augmented steps − real + copy-paste' not in table


def test_goal_at_a_fraction_of_the_labels(tmp_path):
    """Issue 32's goal on the curve: DetectorGAN >= 1.2 x the steps-matched control and
    above it, copy-paste and the stage-1 GAN, each pair interval above zero."""
    settings = dict(SETTINGS, arms=[*SETTINGS['arms'], 'real-steps', 'gan-stage1'],
                    lc_control_arms=['real-steps', 'copy-paste', 'gan-stage1'])
    # At 50 %: DetectorGAN is real / 2 + 0.01 (0.063 on average); each control is below it.
    controls = {'real-steps': 0.040, 'copy-paste': 0.035, 'gan-stage1': 0.045}
    units = _units() + [_unit(arm, fold, seed, ap + 0.002 * fold + 0.001 * seed, fraction=0.5,
                              ratio=0.0 if arm == 'real-steps' else None)
                        for arm, ap in controls.items() for fold in (0, 1) for seed in (0, 1, 2)]
    write_cv_report(units, settings, tmp_path, 'python run.py')
    goal = _line((tmp_path / 'table.md').read_text().split('\n'), '- Goal at 50% of labelled')
    assert ': met: AP50 0.063 / 0.042 = 1.50; − real only, augmented steps +0.021 [' in goal
    assert '− real + stage-1 GAN +0.016 [' in goal and '(6 pairs)' in goal
    # Without the stage-1 GAN the goal cannot be met, and the line says why.
    write_cv_report([u for u in units if u['unit']['arm'] != 'gan-stage1'], settings,
                    tmp_path, 'python run.py')
    goal = _line((tmp_path / 'table.md').read_text().split('\n'), '- Goal at 50% of labelled')
    assert ': NOT met: ' in goal and goal.endswith('no pairs with real + stage-1 GAN.')


def test_planned_pairs_count_the_extra_splits_where_they_repeat():
    settings = dict(folds=5, seeds=[0], extra_fold_seeds=[1, 2, 3, 4, 5],
                    extra_fold_fractions=[0.25])
    assert planned_pairs(settings, 0.25) == 30 and planned_pairs(settings, 0.5) == 5
    assert planned_pairs(dict(settings, extra_fold_fractions=None, seeds=[0, 1]), 0.5) == 60
    assert planned_pairs(dict(folds=2, seeds=[0, 1, 2]), 1.0) == 6


def test_goal_not_met_with_pairs_missing_says_what_they_would_need(tmp_path):
    """While the run is short of its pairs, a goal not met comes with the mean difference
    the missing pairs would need for the 1.2 ratio; a finished comparison has no such line."""
    settings = dict(SETTINGS, arms=[*SETTINGS['arms'], 'real-steps'],
                    lc_control_arms=['real-steps'])
    # The control on fold 0 alone: 3 of the 6 planned pairs, DetectorGAN +0.0025 above it.
    units = _units() + [_unit('real-steps', 0, seed, 0.058, fraction=0.5, ratio=0.0)
                        for seed in (0, 1, 2)]
    write_cv_report(units, settings, tmp_path, 'python run.py')
    lines = (tmp_path / 'table.md').read_text().split('\n')
    assert ': NOT met: AP50 0.061 / 0.058 = 1.04' in _line(lines, '- Goal at 50% of labelled')
    interim = _line(lines, '  - Interim, 3 of 6 planned pairs: ')
    # The 6 pairs' mean difference must reach 0.2 x 0.058: 6 x 0.0116 - 3 x 0.0025 over 3.
    need = float(interim.split('average ΔAP50 >= ')[1].split(' ')[0])
    assert need == pytest.approx((0.2 * 0.058 * 6 - 0.0025 * 3) / 3, abs=1e-3)
    assert '(these 3: +0.003)' in interim or '(these 3: +0.002)' in interim
    units += [_unit('real-steps', 1, seed, 0.058, fraction=0.5, ratio=0.0) for seed in (0, 1, 2)]
    write_cv_report(units, settings, tmp_path, 'python run.py')
    assert '  - Interim' not in (tmp_path / 'table.md').read_text()


def test_goal_ratio_is_taken_on_the_shared_pairs(tmp_path):
    """A control ahead of DetectorGAN by a fold (the run still going) must not enter the
    goal's ratio with that fold: both means are over the pairs the two arms share."""
    settings = dict(SETTINGS, arms=[*SETTINGS['arms'], 'real-steps'],
                    lc_control_arms=['real-steps'])
    units = _units() + [_unit('real-steps', fold, seed, 0.040, fraction=0.5, ratio=0.0)
                        for fold in (0, 1) for seed in (0, 1, 2)]
    # A third fold of the control alone, far below the others: the control's own mean
    # would drop to 0.030 and flatter DetectorGAN.
    units += [_unit('real-steps', 2, seed, 0.010, fraction=0.5, ratio=0.0) for seed in (0, 1, 2)]
    dgan = [u['metrics']['AP50'] for u in units
            if u['unit']['arm'] == 'dgan' and u['unit'].get('fraction') == 0.5]
    write_cv_report(units, settings, tmp_path, 'python run.py')
    goal = _line((tmp_path / 'table.md').read_text().split('\n'), '- Goal at 50% of labelled')
    mine = sum(dgan) / len(dgan)
    assert f'AP50 {mine:.3f} / 0.040 = ' in goal and '/ 0.030' not in goal
    ratio = float(goal.split(' / 0.040 = ')[1].split(';')[0])
    assert ratio == pytest.approx(mine / 0.040, abs=0.006)
