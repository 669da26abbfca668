"""The cross-validated report in words: ``table.md``, its goal sentences and the README block.

Every sentence and table cell is rendered from the numbers of :mod:`.statistics`.
"""
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence

from mmdgan.evaluation.paired_stats import MAX_PAIRS, detectable_effect, pairs_needed
from mmdgan.fileio import write_text_atomic

from .arms import ARMS, steps_controls
from .statistics import (
    CURVE_METRICS,
    GOAL_RATIO,
    METRIC_TITLES,
    REFERENCES,
    RESOLVED_SE,
    _k,
    paired,
    planned_pairs,
    still_running,
)


def _row(cells: Iterable[str]) -> str:
    return '| ' + ' | '.join(cells) + ' |'


def _table(head: Sequence[str], rows: Iterable[Iterable[str]]) -> List[str]:
    """A markdown table: its header, the separator and one line per row of cells."""
    return [_row(head), '|' + ' --- |' * len(head), *map(_row, rows)]


def _pm(d: dict, scale: float = 1.0, fmt: str = '.3f') -> str:
    """``mean ± std`` of a :func:`.statistics.mean_std` entry."""
    return f'{scale * d["mean"]:{fmt}} ± {scale * d["std"]:{fmt}}'


def _above(d: Optional[dict]) -> bool:
    """Whether a paired difference has an interval, and it lies above zero."""
    return bool(d) and d.get('boot_low') is not None and d['boot_low'] > 0


def _interval(d: dict) -> str:
    if not d:
        return '—'
    if d['boot_low'] is None:
        return f'{d["mean"]:+.3f} (1 pair)'
    return (f'{d["mean"]:+.3f} [{d["boot_low"]:+.3f}, {d["boot_high"]:+.3f}] '
            f'p={d["wilcoxon_p"]:.3f}')


def _pair_count(d: dict, template: str) -> str:
    """``template`` filled with the pair count, or nothing where :func:`_interval`
    already said "(1 pair)"."""
    return template.format(d['n']) if d.get('boot_low') is not None else ''


def _where(d: dict) -> str:
    if d.get('boot_low') is None:
        return 'no interval (fewer than 2 pairs)'
    if d['boot_low'] > 0:
        return 'interval above zero'
    if d['boot_high'] < 0:
        return 'interval below zero'
    return 'interval includes zero'


def _clustered(d: dict) -> str:
    if d.get('cluster_low') is None:
        return ''
    return (f'; fold-clustered bootstrap over {d["groups"]} folds '
            f'[{d["cluster_low"]:+.4f}, {d["cluster_high"]:+.4f}]')


def goal_sentences(summary: Dict[str, dict], gan_var: Optional[dict] = None) -> List[str]:
    """Whether the goal of issue 12 is met, in words, from the paired statistics."""
    if 'dgan' not in summary or 'real' not in summary:
        return ['Goal not evaluated: needs both the real-only and DetectorGAN arms.']
    shared = summary['dgan'].get('ratio_vs_real', {})
    dgan, real = shared.get('AP50', 0.0), shared.get('real_AP50', 0.0)
    vs_real = summary['dgan'].get('paired_vs_real', {}).get('AP50', {})
    if not shared:
        ratio = 0.0
        lines = ['DetectorGAN and real-only share no fold × seed pair yet: ratio not '
                 f'evaluated, goal >= {GOAL_RATIO} NOT met.']
    elif real > 0:
        ratio = dgan / real
        lines = [f'DetectorGAN AP50 / real-only AP50 = {dgan:.4f} / {real:.4f} = {ratio:.2f} '
                 f'on the {shared["pairs"]} fold × seed pairs both have (goal >= {GOAL_RATIO}): '
                 f'{"met" if ratio >= GOAL_RATIO else "NOT met"}.']
    else:
        ratio = 0.0  # no ratio to a zero baseline: the goal cannot be met
        lines = [f'DetectorGAN AP50 / real-only AP50 = {dgan:.4f} / 0: undefined '
                 f'(real-only finds nothing), goal >= {GOAL_RATIO} NOT met.']
    checks = [ratio >= GOAL_RATIO]
    cluster_lows: List[Optional[float]] = []

    def sentence(d: dict, label: str) -> str:
        if d.get('boot_low') is None:
            return f'paired ΔAP50 vs {label}: {d["mean"]:+.4f} over {d["n"]} pair(s), no interval.'
        return (f'paired ΔAP50 DetectorGAN − {label}: {d["mean"]:+.4f}, 95 % bootstrap '
                f'interval [{d["boot_low"]:+.4f}, {d["boot_high"]:+.4f}] (t interval '
                f'[{d["t_low"]:+.4f}, {d["t_high"]:+.4f}]{_clustered(d)}), Wilcoxon '
                f'signed-rank p = {d["wilcoxon_p"]:.3f}, {d["n"]} fold × seed pairs: '
                f'{_where(d)}.')

    if vs_real:
        lines.append(sentence(vs_real, 'real only'))
        checks.append(_above(vs_real))
    for other in ('copy-paste', 'dgan-nounroll'):
        if other not in summary:
            continue
        d = paired({_k(k): v for k, v in summary['dgan']['per_seed'].items()},
                   {_k(k): v for k, v in summary[other]['per_seed'].items()}, 'AP50')
        if not d:
            continue
        above = _above(d)
        checks.append(above)
        cluster_lows.append(d.get('cluster_low'))
        lines.append(f'DetectorGAN {"above" if above else "NOT shown above"} '
                     f'{summary[other]["label"]}: ' + sentence(d, summary[other]['label']))
    met = all(checks) and len(checks) == 4
    lines.append(f'Goal (ratio >= {GOAL_RATIO}, every interval above zero): '
                 f'{"met" if met else "NOT met"}.')
    clustered = [vs_real.get('cluster_low')] + cluster_lows
    if met and not all(low is not None and low > 0 for low in clustered):
        lines.append('Caution: the goal holds on the pair bootstrap, but not every '
                     'fold-clustered interval is above zero (pairs of one fold share its GAN '
                     'and held-out films).')
    lines.append('The spread over fold × seed pairs excludes GAN variance: each arm trains one '
                 'GAN per fold, shared by all detector seeds of that fold.')
    if gan_var:
        lines.append(gan_var['sentence'])
    if vs_real.get('std') is not None and real > 0:
        lines.append(_power_sentence(vs_real, real))
    return lines


def _matched_note(settings: dict) -> str:
    """The steps-matched arms are the exception to equal real exposure: say so."""
    matched = [ARMS[a].label for a in steps_controls(settings['arms'])]
    if not matched:
        return ''
    passes = settings['real_epochs'] * (1 + settings['syn_per_real'])
    return (f', except {", ".join(matched)}: the augmented arms\' iterations on the real films '
            f'alone, ≈ {passes:g} passes')


def _power_sentence(vs_real: dict, real: float) -> str:
    """What the comparison could have seen: the gain it finds with 80 % power, and
    how many pairs the goal's gain would need, from the spread of its own differences."""
    detectable = detectable_effect(vs_real['std'], vs_real['n'])
    goal_gain = (GOAL_RATIO - 1) * real
    needed = pairs_needed(vs_real['std'], goal_gain)
    return (f'Power: with the spread of these paired differences (std {vs_real["std"]:.4f} '
            f'over {vs_real["n"]} pairs) a two-sided paired t test at 5 % finds a DetectorGAN '
            f'gain of {detectable:+.4f} AP50 ({detectable / real:.2f} × real-only) with 80 % '
            f'power; the goal\'s gain of {GOAL_RATIO - 1:.1f} × real-only ({goal_gain:+.4f}) '
            f'would need {needed if needed is not None else f"more than {MAX_PAIRS}"} pairs, more '
            f'still as pairs of one fold are not independent.')


def _spent_note(results: dict) -> str:
    p = results.get('progress')
    if not p:
        return ''
    # A unit resumed after an interruption records its last run only: "at least".
    return (f'; the finished units took at least {p["spent_core_hours"]:.1f}, priced at '
            f'{p["planned_core_hours_done"]:.1f}; {p["left_core_hours"]:.1f} left')


def _quality_lines(rows: Sequence[dict]) -> List[str]:
    if not rows:
        return []

    lines = ['## Insertion quality of the synthetic sources', '',
             f'Kernel (×1e-3) and Fréchet distances of inserted to real lesion crops in '
             f'ImageNet EfficientNet-Lite0 features, {rows[0]["images"]} synthesised films per '
             f'source, against the fold\'s own training lesions (no held-out film); "clean": '
             f'the untouched films at the same boxes. Ratio < 1: the insertions are closer to '
             f'real lesions than the tissue they replace; copy-paste pastes those very '
             f'lesions. Mean ± std over folds. The kernel distance is the unbiased estimate '
             f'(it can fall below zero); "s.e.": its standard error for the inserted crops, '
             f'mean over folds, beside the number of real crops. The ratio is shown only where '
             f'every fold\'s clean distance exceeds {RESOLVED_SE:g} standard errors; elsewhere '
             f'(few real crops) the distances cannot rank the sources.', '']
    cells = []
    for r in rows:
        name = r['label'] + (f', {r["fraction"]:.0%} of labelled films'
                             if r['fraction'] != 1.0 else '') + (
            f', GAN seed {r["gan_seed"]}' if r['gan_seed'] else '')
        se = '—' if r.get('kernel_se') is None else f'{1e3 * r["kernel_se"]:.1f}'
        crops = '' if r.get('real_crops') is None else f' ({r["real_crops"]:.0f})'
        kernel, frechet = ([_pm(r[f'{k}_{m}'], scale, '.1f') for k in ('inserted', 'clean')]
                           for m, scale in (('kernel', 1e3), ('frechet', 1.0)))
        ratio = _pm(r['ratio'], fmt='.2f') if r['ratio_resolved'] else 'not resolved'
        cells.append([name, *kernel, ratio, *frechet, f'{se}{crops}', str(len(r['folds']))])
    return lines + _table(['source', 'kernel inserted', 'kernel clean', 'ratio inserted / clean',
                           'Fréchet inserted', 'Fréchet clean', 's.e. (real crops)', 'folds'],
                          cells) + ['']


def _op_notes(summary: Dict[str, dict]) -> List[str]:
    notes = [f'{e["label"]}: {e["op_not_reached"]} of {e["pairs"]}'
             for e in summary.values() if e.get('op_not_reached')]
    if not notes:
        return []
    return [f'Operating point not reached on the training films (threshold 0, every detection '
            f'counted) by: {"; ".join(notes)} detectors.', '']


def _lc_control_lines(lc: Dict[str, dict]) -> List[str]:
    """The learning curve's arms against its control arms (and the other controls against
    a steps-matched one), one line per fraction, every metric."""
    lines = []
    for arm, per in lc.items():
        for frac in sorted(per, key=float):
            for key, diffs in per[frac].items():
                if not key.startswith('paired_vs_') or key == 'paired_vs_real':
                    continue
                ref = key[len('paired_vs_'):]
                lines.append(f'- {ARMS[arm].label} − {ARMS[ref].label}, {float(frac):.0%} '
                             f'of labelled films: ' + '; '.join(
                                 f'Δ{METRIC_TITLES[m]} {_interval(d)}' for m, d in diffs.items())
                             + _pair_count(diffs['AP50'], ', {} pairs'))
    return lines + [''] if lines else []


def curve_goal_lines(lc: Dict[str, dict], settings: Optional[dict] = None) -> List[str]:
    """Issue 32's goal at each fraction below 100 % where DetectorGAN has a steps-matched
    control: its AP50 >= ``GOAL_RATIO`` × that control's, both means on the pairs the two
    share (while a run is incomplete, the arms' own means cover different held-out films),
    and the pair interval of DetectorGAN minus each control (steps, copy-paste, stage-1 GAN)
    above zero; a control missing fails the goal. With ``settings`` and the run short of
    its planned pairs, a goal not met says what the missing pairs would have to show."""
    lines = []
    for frac, e in sorted(lc.get('dgan', {}).items(), key=lambda kv: float(kv[0])):
        steps = steps_controls(k[len('paired_vs_'):] for k in e if k.startswith('paired_vs_'))
        if float(frac) == 1.0 or not steps:
            continue
        vs_steps = e[f'paired_vs_{steps[0]}']['AP50']
        ref = vs_steps['reference_mean']
        mine = ref + vs_steps['mean']
        checks = [ref > 0 and mine / ref >= GOAL_RATIO]
        parts = [f'AP50 {mine:.3f} / {ref:.3f} = {mine / ref:.2f}' if ref > 0
                 else f'{ARMS[steps[0]].label} AP50 is 0']
        for ref_arm in (steps[0], 'copy-paste', 'gan-stage1'):
            diff = e.get(f'paired_vs_{ref_arm}', {}).get('AP50')
            checks.append(_above(diff))
            parts.append(f'− {ARMS[ref_arm].label} {_interval(diff)}'
                         f'{_pair_count(diff, " ({} pairs)")}' if diff
                         else f'no pairs with {ARMS[ref_arm].label}')
        met = all(checks)
        lines.append(f'- Goal at {float(frac):.0%} of labelled films (DetectorGAN AP50 >= '
                     f'{GOAL_RATIO} × the steps-matched control, every interval above zero): '
                     f'{"met" if met else "NOT met"}: ' + '; '.join(parts) + '.')
        if settings and not met:
            lines += _interim_need(vs_steps, planned_pairs(settings, float(frac)))
    return lines + [''] if lines else []


def _interim_need(vs_steps: dict, planned: int) -> List[str]:
    """While pairs are missing, the mean paired AP50 difference the missing ones need for
    the goal's ratio (the control's mean held where it stands): how far the run's end
    could still move the decision."""
    n, ref = vs_steps['n'], vs_steps['reference_mean']
    if n >= planned or ref <= 0:
        return []
    need = ((GOAL_RATIO - 1) * ref * planned - vs_steps['mean'] * n) / (planned - n)
    return [f'  - Interim, {n} of {planned} planned pairs: the ratio reaches {GOAL_RATIO} only if '
            f'the other {planned - n} pairs average ΔAP50 >= {need:+.3f} over the control '
            f'(these {n}: {vs_steps["mean"]:+.3f}), its mean held at {ref:.3f}.']


def _lc_table(lc: Dict[str, dict], metric: str) -> List[str]:
    """One learning-curve table: ``metric`` per arm and fraction, with its paired
    difference to real-only [95 % bootstrap] and the points still running."""
    fracs = sorted({f for v in lc.values() for f in v}, key=float)
    running, rows = still_running(lc), []
    for arm, per in lc.items():
        cells = []
        for f in fracs:
            e = per.get(f)
            if e is None or metric not in e:
                cells.append('—')
                continue
            vs_real = e.get('paired_vs_real', {}).get(metric)
            notes = [f'Δ {_interval(vs_real)}'] if vs_real else []
            if (arm, f) in running:
                notes.append('{} of {} pairs'.format(*running[arm, f]))
            cells.append(_pm(e[metric]) + (f' ({"; ".join(notes)})' if notes else ''))
        rows.append([ARMS[arm].label, *cells])
    return [f'### {METRIC_TITLES[metric]} (mean ± std over fold × seed; Δ vs real only '
            f'[95 % CI] p)', '',
            *_table(['arm', *(f'{float(f):.0%} of labelled films' for f in fracs)], rows), '']


def _paired_metric_lines(summary: Dict[str, dict], reference: str = 'real') -> List[str]:
    """Every metric's paired difference against ``reference``, one row per arm: *how*
    an arm differs (AP50 against real-only alone decides the goal; many intervals, none
    corrected); against a steps-matched control, whether its images beat the steps."""
    rows = [e for arm, e in summary.items()
            if arm != reference and e.get(f'paired_vs_{reference}')]
    if not rows:
        return []
    ref_label = summary.get(reference, {}).get('label', reference)
    n_tests = len(rows) * len(METRIC_TITLES)
    role = ('Only the AP50 column enters the goal.' if reference == 'real' else
            f'The steps-matched control ({ref_label}) trains real-only for the augmented '
            f'arms\' iterations: these differences tell whether an arm\'s synthetic images '
            f'are worth the steps they add; none enters the goal.')
    return [f'## Paired differences against {ref_label}, every metric', '',
            f'Mean paired difference (arm − {ref_label}) [95 % bootstrap] and Wilcoxon p per '
            f'metric, over the fold × seed pairs both arms have; pair-level intervals without '
            f'correction for the {n_tests} comparisons of this table (the fold-clustered '
            f'intervals are in `results.json`). {role}', '',
            *_table(['arm', *(f'Δ {t}' for t in METRIC_TITLES.values()), 'pairs'],
                    ([e['label'], *(_interval(e[f'paired_vs_{reference}'].get(m, {}))
                                    for m in METRIC_TITLES),
                      str(e[f'paired_vs_{reference}']['AP50'].get('n', 0))] for e in rows)), '']


def markdown(results: dict) -> str:
    """The report as markdown: provenance, main table, goal, extra tables."""
    s, summary = results['settings'], results['arms']
    cells = []
    for e in summary.values():
        shared = e.get('ratio_vs_real', {})
        ratio = ('1.00' if e is summary.get('real') else
                 f'{shared["ratio"]:.2f}' if shared.get('ratio') is not None else 'n/a')
        cells.append([e['label'], *(_pm(e[m]) for m in METRIC_TITLES), ratio,
                      *(_interval(e.get(f'paired_vs_{r}', {}).get('AP50', {})) for r in REFERENCES),
                      str(e['pairs'])])
    rows = _table(['arm', *METRIC_TITLES.values(), 'AP50 / real (shared pairs)',
                   'ΔAP50 vs real [95 % CI] p', 'ΔAP50 vs no-unroll [95 % CI] p', 'pairs'], cells)
    rec = s.get('folds_record', {})
    plan = s.get('plan', {})
    lines = [
        f'# Cross-validated small-data comparison on {s["data"]}', '',
        f'Command: `{results["command"]}`',
        '',
        f'{s["folds"]}-fold cross-validation by {rec.get("grouping", "?")}, stratified by '
        f'{rec.get("stratification", "?")} (fold seed {s["fold_seed"]}, `folds.json`); every '
        f'film is held out once and each detector is scored on its held-out fold, lesion and '
        f'normal films together (normal films\' detections are false positives in COCO AP). '
        f'Detector seeds {list(s["seeds"])}; mean ± sample std over fold × seed pairs. '
        f'Detector `{s["det_config"]}` / `{s["det_syn_config"]}`, {s["real_epochs"]:g} epochs '
        f'over the real training films (batch {s["batch_size"]}; synthetic images are added to '
        f'each epoch, so every arm sees each real film equally often{_matched_note(s)}), '
        f'{s["syn_per_real"]:g} synthetic image(s) per real one; GAN iterations {s["gan_iters"]}, '
        f'one GAN per arm and fold, in-loop detector warm-started from the fold\'s real-only '
        f'detector: {s["warm_start"]}. Operating point (@op): the highest score threshold that '
        f'finds {s["op_sensitivity"]:g} of the detector\'s own training lesions (IoU ≥ 0.5). '
        f'Intervals: 95 % bootstrap of the mean paired difference (the goal sentences add a '
        f'fold-clustered bootstrap: folds resampled, then seeds within, since pairs of one fold '
        f'share its GAN and held-out films); p: two-sided Wilcoxon signed-rank.', '',
        f'Units finished: {results["units_done"]} / {s.get("units_total", "?")} (planned '
        f'{plan.get("core_hours", float("nan")):.1f} CPU core-hours{_spent_note(results)}).',
        '',
        *rows, '', *_op_notes(summary), *[f'- {g}' for g in results['goal']], '',
        *_paired_metric_lines(summary),
        *(line for ref in steps_controls(summary) for line in _paired_metric_lines(summary, ref))]
    lc = results.get('learning_curve') or {}
    if any(len(v) > 1 for v in lc.values()):
        lines += ['## Learning curve', '']
        for metric in CURVE_METRICS:
            lines += _lc_table(lc, metric)
        lines += _lc_control_lines(lc) + curve_goal_lines(lc, s)
    sweep = results.get('ratio_sweep') or {}
    if sweep:
        lines += [f'## Synthetic-per-real sweep (fold {s["special_fold"]}, AP50 over seeds)', '',
                  *_table(['arm', 'ratio', 'AP50', 'ΔAP50 vs real [95 % CI] p', 'seeds'],
                          ([ARMS[arm].label, r, _pm(e['AP50']), _interval(e['paired_vs_real']),
                            str(e['seeds'])] for arm, per in sweep.items()
                           for r, e in per.items())),
                  '']
    lines += _quality_lines(results.get('insertion_quality') or [])
    lines += _per_class_lines(results.get('per_class_ap') or {})
    return '\n'.join(lines)


def _per_class_lines(per_class: Dict[str, Dict[str, dict]]) -> List[str]:
    """The per-class AP table (several classes), one row per arm."""
    if not per_class:
        return []
    names = sorted({n for per in per_class.values() for n in per})
    return ['## Per-class AP (COCO AP at IoU .50:.95 on the held-out folds, mean ± std over '
            'fold × seed)', '',
            *_table(['arm', *names], ([ARMS[arm].label, *(_pm(per[n]) if n in per else '—'
                                                         for n in names)]
                                      for arm, per in per_class.items())), '']


def update_markdown_block(path: Path, name: str, text: str) -> None:
    """Replace the text between ``<!-- name:start -->`` and ``<!-- name:end -->`` in
    ``path``: a README's table of the units is rewritten, never edited by hand."""
    start, end = f'<!-- {name}:start -->', f'<!-- {name}:end -->'
    doc = Path(path).read_text()
    if doc.count(start) != 1 or doc.count(end) != 1 or doc.index(start) > doc.index(end):
        raise ValueError(f'{path}: needs exactly one "{start}" ... "{end}" block')
    head, rest = doc.split(start)
    tail = rest.split(end)[1]
    write_text_atomic(f'{head}{start}\n{text.strip()}\n{end}{tail}', path)


def readme_table(results: dict) -> str:
    """The part of the report a README shows: command, main table, goal sentences."""
    table = [line for line in markdown(results).split('\n') if line.startswith('| ')]
    main = table[:len(results['arms']) + 2]
    return '\n'.join([f'Command: `{results["command"]}` (units finished: '
                      f'{results["units_done"]} / {results["settings"].get("units_total", "?")})',
                      '', *main, '', *[f'- {g}' for g in results['goal']]])
