# Defaults of a cross-validated comparison (mmdgan/experiments/settings.py, CVSettings).
# An experiment config inherits this and sets what it is about:
#   data            its name in the report and in every unit's fingerprint
#   data_root       a converted dataset folder (images/ + the six COCO files)
#   det_config      the downstream detector (real films only) and
#   det_syn_config  the same detector on ConcatDataset(real, synthetic)
#   real_epochs     passes of every detector over its real training films
#   gan_configs     {arm: config} for every GAN arm (and dgan, whose box sampler, class and
#                   size copy-paste uses)
#   costs           seconds per step, process start and image that price the plan
#   work_dir        runs, fold files, synthetic sets, logs; results_dir: units and report

# --- folds ---------------------------------------------------------------------------
folds = 5
fold_seed = 0
# Repeated k-fold: each further seed repeats the main comparison and the learning curve
# on another fold assignment (units named ..._folds<seed>).
extra_fold_seeds = []
extra_fold_fractions = None  # the fractions they repeat (None: every one; [0.25]: 25 % only)
info_file = None  # mini-MIAS Info.txt; None: folds grouped by image, stratified by box class

# --- arms and seeds --------------------------------------------------------------------
arms = ['real', 'copy-paste', 'gan-nodet', 'dgan-nounroll', 'dgan']  # report order
late_arms = []  # arms whose units run after every other unit
seeds = [0]  # detector seeds per fold

# --- detector: every arm sees each real training film real_epochs times ----------------
det_options = {}  # extra --cfg-options of every detector run
syn_per_real = 1.0

# --- GANs: gan_configs maps every GAN arm (and dgan, whose box sampler copy-paste uses)
# to its config file --------------------------------------------------------------------
gan_iters = None  # None: each config's own
# Two-stage GANs: {arm: arm} starts each GAN of the first arm from the finished GAN of the
# second of the same fold, fraction and GAN seed (model.init_from), e.g. {'dgan': 'gan-stage1'}
gan_init_from = {}
gan_options = {}  # extra --cfg-options of every GAN run
warm_start = True  # the GAN's in-loop detector starts from the fold's real-only detector

# --- learning curve, ratio sweep, GAN variance -----------------------------------------
fractions = [1.0]  # of the labelled training films
lc_arms = ['real', 'dgan']  # the curve's arms at every fraction
lc_arms_by_fraction = {}  # e.g. {'0.25': ['real', 'dgan', 'dgan-nounroll']}
lc_control_arms = []  # each fraction's controls, run right after its curve
sweep_ratios = []  # synthetic-per-real ratios on special_fold
sweep_arms = ['dgan']
extra_gan_seeds = 0  # further GAN seeds on special_fold
gan_var_arms = ['dgan']
special_fold = 0

# --- scoring ---------------------------------------------------------------------------
op_sensitivity = 0.8  # training-lesion sensitivity that fixes the operating point
quality_images = 500  # films synthesised per source to score its insertions (0: off)

# --- copy-paste ------------------------------------------------------------------------
# 'poisson' or 'feather' (tools/synthesize.py --blend); None: by the data's channels,
# Poisson on one channel (mammograms, the demo), feather on colour photographs, where
# Poisson barely shows (docs/your-data.md, section 6)
copy_paste_blend = None

# How the steps run, with no effect on any number (docs/experiments.md): workers side by
# side, OpenMP threads per step, a Dask scheduler address (None: a local cluster), a
# fraction whose units (every fold seed) run before the rest (None: the plan's order), and
# arms whose units run after the others of their group (that fraction, then the rest).
execution = dict(workers=2, threads=1, scheduler=None, first_fraction=None, last_arms=[])
