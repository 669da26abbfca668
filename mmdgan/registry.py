"""Child registries of mmdet's, so that ``dict(type='mmdgan.X')`` and our own
modules build side by side from the ``mmdgan`` scope.

Every registry mmdet has gets a child here: the runner searches the default
scope's tree for each of them. ``locations`` name the packages that fill a
registry; :func:`mmdgan.utils.register_all_modules` imports exactly those.
"""
from mmdet.registry import DATA_SAMPLERS as MMDET_DATA_SAMPLERS
from mmdet.registry import DATASETS as MMDET_DATASETS
from mmdet.registry import EVALUATOR as MMDET_EVALUATOR
from mmdet.registry import HOOKS as MMDET_HOOKS
from mmdet.registry import LOG_PROCESSORS as MMDET_LOG_PROCESSORS
from mmdet.registry import LOOPS as MMDET_LOOPS
from mmdet.registry import METRICS as MMDET_METRICS
from mmdet.registry import MODEL_WRAPPERS as MMDET_MODEL_WRAPPERS
from mmdet.registry import MODELS as MMDET_MODELS
from mmdet.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMDET_OPTIM_WRAPPER_CONSTRUCTORS
from mmdet.registry import OPTIM_WRAPPERS as MMDET_OPTIM_WRAPPERS
from mmdet.registry import OPTIMIZERS as MMDET_OPTIMIZERS
from mmdet.registry import PARAM_SCHEDULERS as MMDET_PARAM_SCHEDULERS
from mmdet.registry import RUNNER_CONSTRUCTORS as MMDET_RUNNER_CONSTRUCTORS
from mmdet.registry import RUNNERS as MMDET_RUNNERS
from mmdet.registry import TASK_UTILS as MMDET_TASK_UTILS
from mmdet.registry import TRANSFORMS as MMDET_TRANSFORMS
from mmdet.registry import VISBACKENDS as MMDET_VISBACKENDS
from mmdet.registry import VISUALIZERS as MMDET_VISUALIZERS
from mmdet.registry import WEIGHT_INITIALIZERS as MMDET_WEIGHT_INITIALIZERS
from mmengine.registry import Registry

RUNNERS = Registry('runner', parent=MMDET_RUNNERS, locations=['mmdgan.engine'])
RUNNER_CONSTRUCTORS = Registry('runner constructor', parent=MMDET_RUNNER_CONSTRUCTORS,
                               locations=['mmdgan.engine'])
LOOPS = Registry('loop', parent=MMDET_LOOPS, locations=['mmdgan.engine'])
HOOKS = Registry('hook', parent=MMDET_HOOKS, locations=['mmdgan.engine'])
DATASETS = Registry('dataset', parent=MMDET_DATASETS, locations=['mmdgan.datasets'])
DATA_SAMPLERS = Registry('data sampler', parent=MMDET_DATA_SAMPLERS,
                         locations=['mmdgan.datasets'])
TRANSFORMS = Registry('transform', parent=MMDET_TRANSFORMS, locations=['mmdgan.datasets'])
MODELS = Registry('model', parent=MMDET_MODELS, locations=['mmdgan.models'])
MODEL_WRAPPERS = Registry('model_wrapper', parent=MMDET_MODEL_WRAPPERS,
                          locations=['mmdgan.models'])
WEIGHT_INITIALIZERS = Registry('weight initializer', parent=MMDET_WEIGHT_INITIALIZERS,
                               locations=['mmdgan.models'])
OPTIMIZERS = Registry('optimizer', parent=MMDET_OPTIMIZERS, locations=['mmdgan.engine'])
OPTIM_WRAPPERS = Registry('optim_wrapper', parent=MMDET_OPTIM_WRAPPERS,
                          locations=['mmdgan.engine'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry('optimizer wrapper constructor',
                                      parent=MMDET_OPTIM_WRAPPER_CONSTRUCTORS,
                                      locations=['mmdgan.engine'])
PARAM_SCHEDULERS = Registry('parameter scheduler', parent=MMDET_PARAM_SCHEDULERS,
                            locations=['mmdgan.engine'])
METRICS = Registry('metric', parent=MMDET_METRICS, locations=['mmdgan.evaluation'])
EVALUATOR = Registry('evaluator', parent=MMDET_EVALUATOR, locations=['mmdgan.evaluation'])
TASK_UTILS = Registry('task util', parent=MMDET_TASK_UTILS, locations=['mmdgan.datasets'])
VISUALIZERS = Registry('visualizer', parent=MMDET_VISUALIZERS, locations=['mmdgan.engine'])
VISBACKENDS = Registry('vis_backend', parent=MMDET_VISBACKENDS, locations=['mmdgan.engine'])
# The runner looks its log processor up in the default scope's tree: without
# this child every run logs 'Failed to search registry with scope "mmdgan"'.
LOG_PROCESSORS = Registry('log_processor', parent=MMDET_LOG_PROCESSORS,
                          locations=['mmdgan.engine'])
