"""Aggregate cross-validated detector units into ``table.md``, ``results.json`` and figures.

Everything is computed from the unit files alone, so the report (and the
README table copied from ``table.md``) can be rebuilt at any time with
``tools/experiments/cross_validation.py ... --report-only``.

Pairs are ``(fold, detector seed)``: an arm and its reference trained on the
same fold with the same seed. Paired differences get a 95 % bootstrap and t
interval and a Wilcoxon signed-rank p-value
(:mod:`mmdgan.evaluation.paired_stats`). The
spread over pairs excludes GAN variance (one GAN per arm and fold, shared by
the seeds); the extra GAN seeds on one fold report it separately.
"""
import datetime
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from mmdgan.evaluation.paired_stats import (
    MAX_PAIRS,
    detectable_effect,
    paired_summary,
    pairs_needed,
)
from mmdgan.fileio import atomic_path, write_json_atomic

from .report import GOAL_RATIO, _git_commit, bar_chart, mean_std
from .small_data import ARMS, steps_controls

#: Metric -> column title.
METRIC_TITLES = {'AP50': 'AP50', 'mAP': 'mAP', 'loc_top1': 'top-1 loc.',
                 'loc_top2': 'top-2 loc.', 'det_per_normal': 'det. / normal film @op',
                 'sens_at_op': 'sensitivity @op'}
#: References of the paired comparisons.
REFERENCES = ('real', 'dgan-nounroll')
#: A source's kernel ratio is shown where every fold's clean distance exceeds this many
#: standard errors (a 2-sigma separation from zero).
RESOLVED_SE = 2.0

Pair = Tuple[int, int]


def _select(units: Sequence[dict], arm: str, fraction: float = 1.0, ratio: Optional[float] = None,
            gan_seed: int = 0, fold: Optional[int] = None) -> Dict[Pair, dict]:
    """``{(fold, seed): metrics}`` of one arm's units matching the filters."""
    out = {}
    for u in units:
        k = u['unit']
        if (k['arm'] == arm and k['fraction'] == fraction and k['gan_seed'] == gan_seed
                and (ratio is None or k['ratio'] == ratio)
                and (fold is None or k['fold'] == fold)):
            out[(k['fold'], k['seed'])] = u['metrics']
    return out


def main_ratio(arm: str, settings: dict) -> float:
    return settings['syn_per_real'] if ARMS[arm].synthetic else 0.0


def paired(values: Dict[Pair, dict], reference: Dict[Pair, dict], metric: str) -> dict:
    """Paired summary of ``values - reference`` on the shared pairs, with the per-pair diffs."""
    pairs = sorted(p for p in values if p in reference)
    if not pairs:
        return {}
    diffs = [values[p][metric] - reference[p][metric] for p in pairs]
    return dict(paired_summary(diffs, groups=[fold for fold, _ in pairs]),
                per_pair={f'fold{f}_seed{s}': d for (f, s), d in zip(pairs, diffs)})


def summarize(units: Sequence[dict], settings: dict) -> Dict[str, dict]:
    """Main comparison per arm: metric mean ± std over pairs and paired differences."""
    main = {a: _select(units, a, ratio=main_ratio(a, settings)) for a in settings['arms']}
    out = {}
    for arm, values in main.items():
        if not values:
            continue
        pairs = sorted(values)
        entry = dict(label=ARMS[arm].label, pairs=len(pairs),
                     per_seed={f'fold{f}_seed{s}': values[(f, s)] for f, s in pairs},
                     **{m: mean_std([values[p][m] for p in pairs]) for m in METRIC_TITLES})
        # Detectors whose training films never reached the operating point's
        # sensitivity are scored at threshold 0 (every detection counts).
        entry['op_not_reached'] = sum(not values[p].get('op_reached', True) for p in pairs)
        entry['per_fold_AP50'] = {
            str(f): float(np.mean([values[p]['AP50'] for p in pairs if p[0] == f]))
            for f in sorted({p[0] for p in pairs})}
        if arm != 'real' and main.get('real'):
            # On the pairs both arms have: while a run is incomplete, a mean over
            # other folds and seeds would compare different held-out films.
            shared = [p for p in pairs if p in main['real']]
            if shared:
                mine = float(np.mean([values[p]['AP50'] for p in shared]))
                ref_mean = float(np.mean([main['real'][p]['AP50'] for p in shared]))
                entry['ratio_vs_real'] = dict(
                    AP50=mine, real_AP50=ref_mean, pairs=len(shared),
                    ratio=mine / ref_mean if ref_mean > 0 else None)
        # Augmented arms also face the steps-matched control: whether their synthetic
        # images are worth the optimiser steps that equal real exposure adds.
        refs = [*REFERENCES, *(steps_controls(settings['arms']) if ARMS[arm].synthetic else ())]
        for ref in refs:
            if ref != arm and main.get(ref):
                entry[f'paired_vs_{ref}'] = {m: paired(values, main[ref], m)
                                             for m in METRIC_TITLES}
        out[arm] = entry
    return out


def _interval(d: dict) -> str:
    if not d:
        return '—'
    if d['boot_low'] is None:
        return f'{d["mean"]:+.3f} (1 pair)'
    return (f'{d["mean"]:+.3f} [{d["boot_low"]:+.3f}, {d["boot_high"]:+.3f}] '
            f'p={d["wilcoxon_p"]:.3f}')


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
        checks.append(vs_real.get('boot_low') is not None and vs_real['boot_low'] > 0)
    for other in ('copy-paste', 'dgan-nounroll'):
        if other not in summary:
            continue
        d = paired({_k(k): v for k, v in summary['dgan']['per_seed'].items()},
                   {_k(k): v for k, v in summary[other]['per_seed'].items()}, 'AP50')
        if not d:
            continue
        above = d.get('boot_low') is not None and d['boot_low'] > 0
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


def _k(key: str) -> Pair:
    fold, seed = key.split('_')
    return int(fold[4:]), int(seed[4:])


def learning_curve(units: Sequence[dict], settings: dict) -> Dict[str, dict]:
    """Per arm and fraction: AP50 mean ± std and the paired AP50 gain over real-only;
    for the curve's own arms also their paired AP50 difference to each control arm, and
    for the other controls their difference to a steps-matched control (whether their
    synthetic images are worth the steps they add)."""
    controls = list(settings.get('lc_control_arms', ()))
    matched = steps_controls(controls)
    out: Dict[str, dict] = {}
    for frac in settings['fractions']:
        by_arm = {arm: _select(units, arm, frac, main_ratio(arm, settings))
                  for arm in ('real', *settings['lc_arms'], *controls)}
        for arm in (*settings['lc_arms'], *controls):
            values = by_arm[arm]
            if not values:
                continue
            entry = dict(pairs=len(values), **{m: mean_std([v[m] for v in values.values()])
                                               for m in ('AP50', 'mAP', 'loc_top1')})
            if arm == 'real':
                refs = []
            elif arm not in controls:
                refs = ['real', *controls]
            else:
                refs = ['real', *(c for c in matched if c != arm)]
            for ref in refs:
                diff = paired(values, by_arm[ref], 'AP50')  # {} without shared pairs
                if diff:
                    entry[f'paired_vs_{ref}'] = diff
            out.setdefault(arm, {})[f'{frac:g}'] = entry
    return out


def ratio_sweep(units: Sequence[dict], settings: dict) -> Dict[str, dict]:
    """Per swept arm and ratio on the special fold: AP50 and the paired gain over real."""
    fold = settings['special_fold']
    ratios = sorted({settings['syn_per_real'], *settings['sweep_ratios']})
    real = _select(units, 'real', fold=fold)
    out: Dict[str, dict] = {}
    if not settings['sweep_ratios']:
        return out
    for arm in settings['sweep_arms']:
        for r in ratios:
            values = _select(units, arm, ratio=r, fold=fold)
            if values:
                out.setdefault(arm, {})[f'{r:g}'] = dict(
                    seeds=len(values), AP50=mean_std([v['AP50'] for v in values.values()]),
                    paired_vs_real=paired(values, real, 'AP50'))
    return out


def gan_variance(units: Sequence[dict], settings: dict) -> Optional[dict]:
    """Extra GAN seeds on the special fold: AP50 per GAN seed and their spread.

    Every GAN seed is averaged over the same detector seeds (those all of them
    have so far), so that a GAN seed still running is not compared on other
    seeds than the finished ones.
    """
    if not settings['extra_gan_seeds']:
        return None
    fold = settings['special_fold']
    out: Dict[str, dict] = {}
    for arm in settings['gan_var_arms']:
        runs = {str(g): _select(units, arm, ratio=main_ratio(arm, settings), gan_seed=g,
                                fold=fold)
                for g in range(settings['extra_gan_seeds'] + 1)}
        runs = {g: values for g, values in runs.items() if values}
        shared = sorted(set.intersection(*map(set, runs.values()))) if runs else []
        if len(runs) < 2 or not shared:
            continue
        per_gan = {g: dict(mean_std([values[p]['AP50'] for p in shared]),
                           detector_seeds=len(shared)) for g, values in runs.items()}
        means = [v['mean'] for v in per_gan.values()]
        within = float(np.mean([v['std'] for v in per_gan.values()])) if len(shared) > 1 else None
        out[arm] = dict(per_gan_seed=per_gan, between_gan_std=float(np.std(means, ddof=1)),
                        within_gan_detector_seed_std=within, detector_seeds=[p[1] for p in shared],
                        planned_detector_seeds=len(settings['seeds']))
    if not out:
        return None
    parts = []
    for arm, e in out.items():
        aps = ', '.join(f'{v["mean"]:.3f}' for v in e['per_gan_seed'].values())
        seeds = e['detector_seeds']
        within = ('' if e['within_gan_detector_seed_std'] is None else
                  f', mean std over detector seeds {e["within_gan_detector_seed_std"]:.3f}')
        partial = ('' if len(seeds) == e['planned_detector_seeds'] else
                  f'; on detector seed{"s" * (len(seeds) > 1)} '
                  f'{", ".join(map(str, seeds))} only, the '
                  f'{"ones" if len(seeds) > 1 else "one"} every GAN seed has so far')
        parts.append(f'{ARMS[arm].label}: AP50 {aps} for GAN seeds '
                     f'{", ".join(e["per_gan_seed"])} (std between GAN seeds '
                     f'{e["between_gan_std"]:.3f}{within}{partial})')
    return dict(arms=out, sentence=f'GAN variance on fold {fold}: ' + '; '.join(parts) + '.')


def insertion_quality_summary(scores: Sequence[dict]) -> List[dict]:
    """Quality scores of the synthetic sources, per (arm, fraction, GAN seed), over folds.

    Each score's ``ratio`` is inserted / clean kernel distance of one fold (both
    measured against the same real crops), so folds with different lesion sets
    are comparable; below 1 the insertions are closer to real lesions than the
    untouched tissue at the same boxes. The ratio is ``resolved`` only where every
    fold's clean distance exceeds ``RESOLVED_SE`` of its standard errors: with few real
    crops (a learning-curve fraction) the unbiased distances are noise around zero, can
    be negative, and their ratio can take any sign or size.
    """
    groups: Dict[tuple, List[dict]] = {}
    for q in scores:
        src = q['source']
        groups.setdefault((src['arm'], float(src['fraction']), int(src['gan_seed'])), []).append(q)
    order = {arm: i for i, arm in enumerate(ARMS)}
    rows = []
    for (arm, fraction, gan_seed), qs in sorted(
            groups.items(), key=lambda kv: (kv[0][1] != 1.0, kv[0][2], -kv[0][1], order[kv[0][0]])):
        rows.append(dict(
            arm=arm, label=ARMS[arm].label, fraction=fraction, gan_seed=gan_seed,
            folds=sorted(q['source']['fold'] for q in qs), images=qs[0]['images'],
            inserted_kernel=mean_std([q['inserted']['kernel'] for q in qs]),
            clean_kernel=mean_std([q['clean']['kernel'] for q in qs]),
            ratio=mean_std([q['inserted']['kernel'] / q['clean']['kernel'] for q in qs]),
            inserted_frechet=mean_std([q['inserted']['frechet'] for q in qs]),
            clean_frechet=mean_std([q['clean']['frechet'] for q in qs]),
            kernel_se=_mean_of(q['inserted'].get('kernel_se') for q in qs),
            real_crops=_mean_of(q.get('real_crops') for q in qs),
            ratio_resolved=all(q['clean']['kernel'] > RESOLVED_SE * q['clean']['kernel_se']
                               for q in qs if 'kernel_se' in q['clean'])))
    return rows


def _mean_of(values: Iterable[Optional[float]]) -> Optional[float]:
    """Mean of the values that were recorded (older units lack some fields)."""
    known = [v for v in values if v is not None]
    return float(np.mean(known)) if known else None


def _quality_lines(rows: Sequence[dict]) -> List[str]:
    if not rows:
        return []

    def pm(d: dict, scale: float = 1.0, fmt: str = '.1f') -> str:
        return f'{scale * d["mean"]:{fmt}} ± {scale * d["std"]:{fmt}}'

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
             f'(few real crops) the distances cannot rank the sources.', '',
             '| source | kernel inserted | kernel clean | ratio inserted / clean | '
             'Fréchet inserted | Fréchet clean | s.e. (real crops) | folds |',
             '| --- | --- | --- | --- | --- | --- | --- | --- |']
    for r in rows:
        name = r['label'] + (f', {r["fraction"]:.0%} of labelled films'
                             if r['fraction'] != 1.0 else '') + (
            f', GAN seed {r["gan_seed"]}' if r['gan_seed'] else '')
        ratio = pm(r['ratio'], fmt='.2f') if r['ratio_resolved'] else 'not resolved'
        se = '—' if r.get('kernel_se') is None else f'{1e3 * r["kernel_se"]:.1f}'
        crops = '' if r.get('real_crops') is None else f' ({r["real_crops"]:.0f})'
        lines.append(f'| {name} | {pm(r["inserted_kernel"], 1e3)} | {pm(r["clean_kernel"], 1e3)} '
                     f'| {ratio} | {pm(r["inserted_frechet"])} | {pm(r["clean_frechet"])} '
                     f'| {se}{crops} | {len(r["folds"])} |')
    return lines + ['']


def _op_notes(summary: Dict[str, dict]) -> List[str]:
    notes = [f'{e["label"]}: {e["op_not_reached"]} of {e["pairs"]}'
             for e in summary.values() if e.get('op_not_reached')]
    if not notes:
        return []
    return [f'Operating point not reached on the training films (threshold 0, every detection '
            f'counted) by: {"; ".join(notes)} detectors.', '']


def _lc_control_lines(lc: Dict[str, dict]) -> List[str]:
    """The learning curve's arms against its control arms (and the other controls against
    a steps-matched one), one line per fraction."""
    lines = []
    for arm, per in lc.items():
        for frac in sorted(per, key=float):
            for key, diff in per[frac].items():
                if not key.startswith('paired_vs_') or key == 'paired_vs_real':
                    continue
                ref = key[len('paired_vs_'):]
                lines.append(f'- {ARMS[arm].label} − {ARMS[ref].label}, {float(frac):.0%} '
                             f'of labelled films: ΔAP50 {_interval(diff)}, {diff["n"]} pairs')
    return lines + [''] if lines else []


def _paired_metric_lines(summary: Dict[str, dict], reference: str = 'real') -> List[str]:
    """Every metric's paired difference against ``reference``, one row per arm.

    AP50 against real-only alone decides the goal; the other columns show *how* an
    arm differs (box tightness, false positives on normal films, sensitivity) and
    are read with the caution the table states: many intervals, none corrected.
    Against a steps-matched control the table asks whether an arm's synthetic
    images are worth the steps they add.
    """
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
            '| arm | ' + ' | '.join(f'Δ {t}' for t in METRIC_TITLES.values()) + ' | pairs |',
            '|' + ' --- |' * (len(METRIC_TITLES) + 2),
            *(f'| {e["label"]} | ' + ' | '.join(_interval(e[f'paired_vs_{reference}'].get(m, {}))
                                              for m in METRIC_TITLES)
              + f' | {e[f"paired_vs_{reference}"]["AP50"].get("n", 0)} |' for e in rows),
            '']


def markdown(results: dict) -> str:
    """The report as markdown: provenance, main table, goal, extra tables."""
    s, summary = results['settings'], results['arms']
    head = ('| arm | ' + ' | '.join(METRIC_TITLES.values()) + ' | AP50 / real (shared pairs) | '
            'ΔAP50 vs real [95 % CI] p | ΔAP50 vs no-unroll [95 % CI] p | pairs |')
    rows = [head, '|' + ' --- |' * (len(METRIC_TITLES) + 5)]
    for e in summary.values():
        shared = e.get('ratio_vs_real', {})
        ratio = ('1.00' if e is summary.get('real') else
                 f'{shared["ratio"]:.2f}' if shared.get('ratio') is not None else 'n/a')
        cells = [f'{e[m]["mean"]:.3f} ± {e[m]["std"]:.3f}' for m in METRIC_TITLES]
        rows.append(f'| {e["label"]} | ' + ' | '.join(cells) + f' | {ratio} | '
                    + ' | '.join(_interval(e.get(f'paired_vs_{r}', {}).get('AP50', {}))
                                 for r in REFERENCES) + f' | {e["pairs"]} |')
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
        fracs = sorted({f for v in lc.values() for f in v}, key=float)
        lines += ['## Learning curve (AP50, mean ± std over fold × seed)', '',
                  '| arm | ' + ' | '.join(f'{float(f):.0%} of labelled films' for f in fracs)
                  + ' |', '|' + ' --- |' * (len(fracs) + 1)]
        running = still_running(lc)
        for arm, per in lc.items():
            cells = []
            for f in fracs:
                e = per.get(f)
                if e is None:
                    cells.append('—')
                    continue
                notes = [f'Δ {_interval(e["paired_vs_real"])}'] if e.get('paired_vs_real') else []
                if (arm, f) in running:
                    notes.append('{} of {} pairs'.format(*running[arm, f]))
                cells.append(f'{e["AP50"]["mean"]:.3f} ± {e["AP50"]["std"]:.3f}'
                             + (f' ({"; ".join(notes)})' if notes else ''))
            lines.append(f'| {ARMS[arm].label} | ' + ' | '.join(cells) + ' |')
        lines.append('')
        lines += _lc_control_lines(lc)
    sweep = results.get('ratio_sweep') or {}
    if sweep:
        lines += [f'## Synthetic-per-real sweep (fold {s["special_fold"]}, AP50 over seeds)', '',
                  '| arm | ratio | AP50 | ΔAP50 vs real [95 % CI] p | seeds |',
                  '| --- | --- | --- | --- | --- |']
        for arm, per in sweep.items():
            for r, e in per.items():
                lines.append(f'| {ARMS[arm].label} | {r} | {e["AP50"]["mean"]:.3f} ± '
                             f'{e["AP50"]["std"]:.3f} | {_interval(e["paired_vs_real"])} | '
                             f'{e["seeds"]} |')
        lines.append('')
    lines += _quality_lines(results.get('insertion_quality') or [])
    return '\n'.join(lines)


def update_markdown_block(path: Path, name: str, text: str) -> None:
    """Replace the text between ``<!-- name:start -->`` and ``<!-- name:end -->`` in ``path``.

    How a README keeps the table of the units: rewritten, never edited by hand.
    """
    start, end = f'<!-- {name}:start -->', f'<!-- {name}:end -->'
    doc = Path(path).read_text()
    if doc.count(start) != 1 or doc.count(end) != 1 or doc.index(start) > doc.index(end):
        raise ValueError(f'{path}: needs exactly one "{start}" ... "{end}" block')
    head, rest = doc.split(start)
    tail = rest.split(end)[1]
    tmp = Path(path).with_name(f'.{Path(path).name}.tmp')
    tmp.write_text(f'{head}{start}\n{text.strip()}\n{end}{tail}')
    tmp.replace(path)


def readme_table(results: dict) -> str:
    """The part of the report a README shows: command, main table, goal sentences."""
    table = [line for line in markdown(results).split('\n') if line.startswith('| ')]
    main = table[:len(results['arms']) + 2]
    return '\n'.join([f'Command: `{results["command"]}` (units finished: '
                      f'{results["units_done"]} / {results["settings"].get("units_total", "?")})',
                      '', *main, '', *[f'- {g}' for g in results['goal']]])


def still_running(lc: Dict[str, dict]) -> Dict[Tuple[str, str], Tuple[int, int]]:
    """The learning-curve points of arms still running: ``(arm, fraction) -> (pairs, most)``.

    An arm with fewer pairs than the others at its fraction has its mean over
    other films than theirs, so the table and the chart mark those points.
    """
    most: Dict[str, int] = {}
    for per in lc.values():
        for f, e in per.items():
            most[f] = max(most.get(f, 0), e['pairs'])
    return {(arm, f): (e['pairs'], most[f]) for arm, per in lc.items()
            for f, e in per.items() if e['pairs'] < most[f]}


def learning_curve_chart(lc: Dict[str, dict], path: Path) -> None:
    """AP50 against the fraction of labelled training films, one line per arm."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    fig, ax = plt.subplots(figsize=(4.8, 3.4))
    every = sorted({f for per in lc.values() for f in per}, key=float)
    running = still_running(lc)
    for i, (arm, per) in enumerate(lc.items()):
        # A fraction an arm lacks breaks its line (NaN) instead of drawing a line
        # through it; a small shift per arm keeps the error bars apart.
        shift = 0.008 * (i - (len(lc) - 1) / 2)
        line = ax.errorbar([float(f) + shift for f in every],
                           [per[f]['AP50']['mean'] if f in per else np.nan for f in every],
                           yerr=[per[f]['AP50']['std'] if f in per else np.nan for f in every],
                           marker='o', capsize=4, label=ARMS[arm].label)
        for f in every:
            if (arm, f) in running:
                # Hollow, with its pair count: a partial mean is not comparable yet.
                x, y = float(f) + shift, per[f]['AP50']['mean']
                colour = line.lines[0].get_color()  # given: ax.plot would advance the cycle
                ax.plot(x, y, marker='o', markersize=7, color=colour, markerfacecolor='white',
                        zorder=3)
                ax.annotate('{}/{}'.format(*running[arm, f]), (x, y), fontsize=7,
                            xytext=(4, 4), textcoords='offset points')
    handles, labels = ax.get_legend_handles_labels()
    if running:
        handles.append(Line2D([], [], linestyle='none', marker='o', markerfacecolor='white',
                              markeredgecolor='grey'))
        labels.append('still running (pairs done/all)')
    ax.set_xlabel('fraction of labelled training films')
    ax.set_ylabel('AP50 (held-out folds)')
    ax.legend(handles, labels, fontsize=8)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120)
    plt.close(fig)


def paired_rows(summary: Dict[str, dict], reference: str,
                metric: str = 'AP50') -> List[dict]:
    """The paired differences against ``reference`` that :func:`paired_chart` draws.

    Returns:
        One row per arm with a paired comparison: ``label``, ``folds`` and
        ``diffs`` per pair (in pair order), ``mean``, the bootstrap
        interval ``low`` / ``high`` (``None`` with fewer than 2 pairs) and the
        fold-clustered one ``cluster_low`` / ``cluster_high`` (``None`` with
        fewer than 2 folds).
    """
    rows = []
    for entry in summary.values():
        d = entry.get(f'paired_vs_{reference}', {}).get(metric)
        if not d:
            continue
        folds = [_k(key)[0] for key in d['per_pair']]
        rows.append(dict(label=entry['label'], folds=folds, diffs=list(d['per_pair'].values()),
                         mean=d['mean'], low=d['boot_low'], high=d['boot_high'],
                         cluster_low=d.get('cluster_low'), cluster_high=d.get('cluster_high')))
    return rows


def paired_chart(summary: Dict[str, dict], path: Path, metric: str = 'AP50') -> None:
    """Forest plot of the paired differences, one panel per reference arm.

    The comparison is paired (same fold, same detector seed), so this is the
    figure the intervals and the goal refer to; ``ap50.png`` shows the arms
    side by side, where the fold-to-fold spread hides the paired effect.
    Dots: one pair each, coloured by fold; bar: 95 % bootstrap interval of the
    mean (thin grey below it: the fold-clustered interval); dashed: the gain
    the goal asks for (``GOAL_RATIO`` × real-only mean).
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    panels = [(ref, paired_rows(summary, ref, metric)) for ref in REFERENCES]
    panels = [(ref, rows) for ref, rows in panels if rows]
    if not panels:
        return
    height = 1.0 + 0.45 * max(len(rows) for _, rows in panels)
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), height), squeeze=False)
    cmap = plt.get_cmap('tab10')
    for ax, (ref, rows) in zip(axes[0], panels):
        for y, row in enumerate(rows):
            jitter = np.linspace(-0.15, 0.15, len(row['diffs'])) if len(row['diffs']) > 1 else [0]
            ax.scatter(row['diffs'], y + np.asarray(jitter), s=10, zorder=3,
                       color=[cmap(f % 10) for f in row['folds']])
            if row['cluster_low'] is not None:
                ax.plot([row['cluster_low'], row['cluster_high']], [y + 0.25, y + 0.25],
                        color='grey', lw=1)
            if row['low'] is not None:
                ax.plot([row['low'], row['high']], [y, y], color='black', lw=2)
            ax.plot([row['mean']], [y], marker='D', color='black', ms=6)
        ax.axvline(0, color='grey', lw=1)
        if ref == 'real' and metric in summary.get('real', {}):
            goal = (GOAL_RATIO - 1) * summary['real'][metric]['mean']
            ax.axvline(goal, color='tab:red', ls='--', lw=1)
            ax.annotate(f'goal {GOAL_RATIO:g}×', xy=(goal, 1.0), xycoords=('data', 'axes fraction'),
                        xytext=(2, 2), textcoords='offset points', fontsize=7, color='tab:red')
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels([r['label'].replace('real + ', '+ ') for r in rows], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel(f'paired Δ{metric} vs {summary.get(ref, {}).get("label", ref)}', fontsize=8)
    fig.suptitle(f'Paired Δ{metric} per fold × seed (dots, colour = fold), mean and 95 % '
                 'bootstrap interval (black: pairs; grey: folds)', fontsize=9)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120)
    plt.close(fig)


def write_cv_report(units: Sequence[dict], settings: dict, results_dir: Path,
                    command: str, quality: Sequence[dict] = (),
                    progress: Optional[Dict[str, float]] = None) -> dict:
    """Write ``results.json``, ``table.md``, ``ap50.png``, ``paired_ap50.png`` (and
    ``learning_curve.png``).

    ``quality``: the insertion-quality scores of the synthetic sources.
    ``progress``: core-hours spent on the finished units, what the plan prices them
    at, and what it prices the rest at (``CVExperiment.progress``).
    """
    results_dir.mkdir(parents=True, exist_ok=True)
    summary = summarize(units, settings)
    gan_var = gan_variance(units, settings)
    results = dict(command=command, git_commit=_git_commit(),
                   created=datetime.datetime.now().isoformat(timespec='seconds'),
                   settings=settings, units_done=len(units), arms=summary,
                   learning_curve=learning_curve(units, settings),
                   ratio_sweep=ratio_sweep(units, settings), gan_variance=gan_var,
                   goal=goal_sentences(summary, gan_var),
                   insertion_quality=insertion_quality_summary(quality),
                   progress=progress)
    write_json_atomic(results, results_dir / 'results.json')
    table = results_dir / 'table.md'
    tmp = table.with_name('.table.md.tmp')
    tmp.write_text(markdown(results))
    tmp.replace(table)
    if summary:
        bar_chart(summary, results_dir / 'ap50.png',
                  title='AP50 per arm (mean ± std over fold × seed; dots: pairs)')
        paired_chart(summary, results_dir / 'paired_ap50.png')
    if any(len(v) > 1 for v in results['learning_curve'].values()):
        learning_curve_chart(results['learning_curve'], results_dir / 'learning_curve.png')
    return results
