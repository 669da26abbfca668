"""Toy unit files and settings shared by the report and figure tests."""

SETTINGS = dict(
    data='toy', arms=['real', 'copy-paste', 'dgan-nounroll', 'dgan'], seeds=[0, 1, 2],
    folds=2, fold_seed=0, syn_per_real=1.0, fractions=[0.5, 1.0], lc_arms=['real', 'dgan'],
    sweep_ratios=[2.0], sweep_arms=['dgan'], special_fold=0, extra_gan_seeds=1,
    gan_var_arms=['dgan'], det_config='det.py', det_syn_config='det_syn.py', real_epochs=30,
    batch_size=4, gan_iters={'dgan': 300}, warm_start=True, op_sensitivity=0.8,
    units_total=0, plan=dict(core_hours=1.5),
    folds_record=dict(grouping='patient', stratification='lesion type'))


def _unit(arm, fold, seed, ap50, fraction=1.0, ratio=None, gan_seed=0):
    ratio = (0.0 if arm == 'real' else 1.0) if ratio is None else ratio
    metrics = dict(AP50=ap50, mAP=ap50 / 3, loc_top1=ap50 * 2, loc_top2=ap50 * 3,
                   det_per_normal=1.0, sens_at_op=0.5, op_threshold=0.3)
    return dict(unit=dict(fold=fold, arm=arm, seed=seed, fraction=fraction, ratio=ratio,
                          gan_seed=gan_seed), metrics=metrics)


def _units():
    units = []
    for fold in (0, 1):
        for seed in (0, 1, 2):
            real = 0.10 + 0.01 * fold + 0.001 * seed
            units += [_unit('real', fold, seed, real),
                      _unit('copy-paste', fold, seed, real - 0.01),
                      _unit('dgan-nounroll', fold, seed, real + 0.01),
                      _unit('dgan', fold, seed, real + 0.02 + 0.002 * seed),
                      _unit('real', fold, seed, real / 2, fraction=0.5),
                      _unit('dgan', fold, seed, real / 2 + 0.01, fraction=0.5)]
            if fold == 0:
                units += [_unit('dgan', 0, seed, real + 0.04, ratio=2.0),
                          _unit('dgan', 0, seed, real + 0.03, gan_seed=1)]
    return units
