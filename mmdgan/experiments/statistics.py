"""The numbers of the cross-validated report, computed from the unit files alone.

Pairs are ``(fold, detector seed)`` (repeated k-fold: fold ``r * k + i`` is fold ``i``
of the ``r``-th extra fold seed); paired differences get 95 % bootstrap and t intervals
and a Wilcoxon p-value (:mod:`mmdgan.evaluation.paired_stats`). The spread over pairs
excludes GAN variance (one GAN per arm and fold); extra GAN seeds on one fold report it.
The renderers (:mod:`.markdown`, :mod:`.figures`) only read these numbers.
"""
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from mmdgan.evaluation.paired_stats import (
    design_detectable_effect,
    detectable_effect,
    folds_needed,
    paired_summary,
    pairs_needed,
    variance_components,
)

from .arms import ARMS, main_ratio, steps_controls
from .settings import curve_arms

#: Goal of the issue: DetectorGAN AP50 >= 1.2x real only, above copy-paste and no-unroll.
GOAL_RATIO = 1.2


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


def mean_std(values: Sequence[float]) -> Dict[str, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    arr = np.asarray(values, np.float64)
    return dict(mean=float(arr.mean()), std=float(arr.std(ddof=1)) if len(arr) > 1 else 0.0)


def global_fold(unit: dict, settings: dict) -> int:
    """A unit's fold, numbered across the fold seeds of a repeated k-fold."""
    seed = unit.get('fold_seed')
    return unit['fold'] + (0 if seed is None else
                           settings['folds'] * (1 + list(settings['extra_fold_seeds']).index(seed)))


def _select(units: Sequence[dict], settings: dict, arm: str, fraction: float = 1.0,
            ratio: Optional[float] = None, gan_seed: int = 0,
            fold: Optional[int] = None) -> Dict[Pair, dict]:
    """``{(fold, seed): metrics}`` of one arm's units matching the filters (``ratio``:
    default the arm's outside the sweep)."""
    ratio = main_ratio(arm, settings['syn_per_real']) if ratio is None else ratio
    out = {}
    for u in units:
        k = u['unit']
        if (k['arm'] == arm and k['fraction'] == fraction and k['gan_seed'] == gan_seed
                and k['ratio'] == ratio
                and (fold is None or k['fold'] == fold)):
            out[(global_fold(k, settings), k['seed'])] = u['metrics']
    return out


#: Per-class AP keys of a unit's raw metrics (mmdet CocoMetric with ``classwise``).
PER_CLASS_PREFIX, PER_CLASS_SUFFIX = 'coco/', '_precision'


def per_class_ap(units: Sequence[dict], settings: dict) -> Dict[str, Dict[str, dict]]:
    """Main comparison per arm and class: held-out COCO AP (IoU .50:.95) mean ± std
    over pairs, from the units' raw metrics; empty where the detectors did not
    report classes (``classwise`` off, e.g. one-class data)."""
    out: Dict[str, Dict[str, dict]] = {}
    for arm in settings['arms']:
        per: Dict[str, List[float]] = {}
        for u in units:
            k = u['unit']
            if (k['arm'] != arm or k['fraction'] != 1.0 or k['gan_seed'] != 0
                    or k['ratio'] != main_ratio(arm, settings['syn_per_real'])):
                continue
            for key, value in u.get('raw_metrics', {}).items():
                if key.startswith(PER_CLASS_PREFIX) and key.endswith(PER_CLASS_SUFFIX):
                    name = key[len(PER_CLASS_PREFIX):-len(PER_CLASS_SUFFIX)]
                    per.setdefault(name, []).append(float(value))
        if per:
            out[arm] = {name: dict(mean_std(v), pairs=len(v)) for name, v in per.items()}
    return out


def paired(values: Dict[Pair, dict], reference: Dict[Pair, dict], metric: str) -> dict:
    """Paired summary of ``values - reference`` on the shared pairs, with the per-pair diffs."""
    pairs = sorted(p for p in values if p in reference)
    if not pairs:
        return {}
    diffs = [values[p][metric] - reference[p][metric] for p in pairs]
    # The reference's mean on the shared pairs: a ratio of the arms' own means would
    # compare different held-out films while one arm is still running.
    return dict(paired_summary(diffs, groups=[fold for fold, _ in pairs]),
                reference_mean=float(np.mean([reference[p][metric] for p in pairs])),
                per_pair={f'fold{f}_seed{s}': d for (f, s), d in zip(pairs, diffs)})


def summarize(units: Sequence[dict], settings: dict) -> Dict[str, dict]:
    """Main comparison per arm: metric mean ± std over pairs and paired differences."""
    main = {a: _select(units, settings, a) for a in settings['arms']}
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


def _k(key: str) -> Pair:
    fold, seed = key.split('_')
    return int(fold[4:]), int(seed[4:])


#: The learning curve's metrics (the paper's two: AP50 and top-1 localisation; and mAP).
CURVE_METRICS = ('AP50', 'mAP', 'loc_top1')


def learning_curve(units: Sequence[dict], settings: dict) -> Dict[str, dict]:
    """Per arm and fraction: each of :data:`CURVE_METRICS` mean ± std and its paired
    difference ``{metric: paired}`` to real-only; the curve's own arms also to each control
    arm and to DetectorGAN without unroll (where both are on the curve), the other
    controls to a steps-matched control (whether their images are worth their steps)."""
    controls = list(settings.get('lc_control_arms', ()))
    matched = steps_controls(controls)
    out: Dict[str, dict] = {}
    for frac in settings['fractions']:
        curve = curve_arms(settings, frac)
        by_arm = {arm: _select(units, settings, arm, frac) for arm in ('real', *curve, *controls)}
        for arm in (*curve, *controls):
            values = by_arm[arm]
            if not values:
                continue
            entry = dict(pairs=len(values), **{m: mean_std([v[m] for v in values.values()])
                                               for m in CURVE_METRICS})
            if arm == 'real':
                refs = []
            elif arm not in controls:
                refs = ['real', *controls, *(r for r in REFERENCES[1:] if r in curve and r != arm)]
            else:
                refs = ['real', *(c for c in matched if c != arm)]
            for ref in refs:
                # Summaries only: the pairs are in the units (results/ stays small).
                diffs = {m: {k: v for k, v in paired(values, by_arm[ref], m).items()
                             if k != 'per_pair'} for m in CURVE_METRICS}
                if diffs['AP50']:  # {} without shared pairs
                    entry[f'paired_vs_{ref}'] = diffs
            out.setdefault(arm, {})[f'{frac:g}'] = entry
    return out


def power_analysis(units: Sequence[dict], settings: dict, arm: str, reference: str,
                   fraction: float, metric: str, gain: float = GOAL_RATIO - 1,
                   seeds: Sequence[int] = (1, 2, 3, 5)) -> dict:
    """How many pairs / folds a paired comparison needs to find a gain of ``gain`` ×
    ``reference``'s mean with 80 % power (two-sided 5 %), from the measured spread of
    ``arm - reference`` on the pairs both have at ``fraction``.

    Two answers: independent pairs (paired t on all pairs: what the report's intervals
    assume) and independent folds with ``seeds`` detector seeds each (the spread split
    into between- and within-fold parts, t on fold means), since pairs of one fold share
    its GAN and held-out films. Repeated k-fold folds share films too: the fold answer
    is a lower bound. ``detectable_pairs`` / ``detectable_folds``: the gain the measured
    design finds with 80 % power, read either way.
    """
    values = _select(units, settings, arm, fraction)
    ref = _select(units, settings, reference, fraction)
    d = paired(values, ref, metric)
    if not d or d['std'] is None:
        raise ValueError(f'{arm} and {reference} share < 2 pairs at fraction {fraction:g}')
    folds = [_k(key)[0] for key in d['per_pair']]
    parts = variance_components(list(d['per_pair'].values()), folds)
    ref_mean = d['reference_mean']
    effect = gain * ref_mean
    return dict(arm=arm, reference=reference, fraction=fraction, metric=metric, gain=gain,
                mean_diff=d['mean'], reference_mean=ref_mean,
                arm_mean=ref_mean + d['mean'], effect=effect, std=d['std'], **parts,
                pairs_needed=pairs_needed(d['std'], effect),
                folds_needed={s: folds_needed(parts['between'], parts['within'], s, effect)
                              for s in seeds},
                detectable_pairs=detectable_effect(d['std'], d['n']),
                detectable_folds=design_detectable_effect(
                    parts['between'], parts['within'], parts['groups'],
                    round(parts['per_group'])))


def planned_pairs(settings: dict, fraction: float) -> int:
    """The fold × seed pairs a finished run has at ``fraction``: every fold of the first
    split, and of each extra fold seed that repeats this fraction."""
    repeats = settings.get('extra_fold_fractions')
    repeated = repeats is None or any(abs(fraction - f) < 1e-9 for f in repeats)
    splits = 1 + (len(settings.get('extra_fold_seeds') or ()) if repeated else 0)
    return settings['folds'] * len(settings['seeds']) * splits


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


def ratio_sweep(units: Sequence[dict], settings: dict) -> Dict[str, dict]:
    """Per swept arm and ratio on the special fold: AP50 and the paired gain over real."""
    fold = settings['special_fold']
    ratios = sorted({settings['syn_per_real'], *settings['sweep_ratios']})
    real = _select(units, settings, 'real', fold=fold)
    out: Dict[str, dict] = {}
    if not settings['sweep_ratios']:
        return out
    for arm in settings['sweep_arms']:
        for r in ratios:
            values = _select(units, settings, arm, ratio=r, fold=fold)
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
        runs = {str(g): _select(units, settings, arm, gan_seed=g, fold=fold)
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
