from .clean_source import (CleanImageSource, box_sampler_cfg, build_box_sampler, config_set,
                           gan_resize, labelled_categories)
from .copy_paste import CopyPasteSynthesizer, copy_paste_synthesize
from .dataset_writer import SYNTHETIC_ANN_FILE, SyntheticDatasetWriter
from .inserter import (GENERATOR_KEYS, TorchInserter, check_inputs, load_generator,
                       save_generator)
from .pipeline import run_synthesis

__all__ = ['CleanImageSource', 'CopyPasteSynthesizer', 'GENERATOR_KEYS', 'SYNTHETIC_ANN_FILE',
           'SyntheticDatasetWriter', 'TorchInserter', 'box_sampler_cfg', 'build_box_sampler',
           'check_inputs', 'config_set', 'copy_paste_synthesize', 'gan_resize',
           'labelled_categories',
           'load_generator', 'run_synthesis', 'save_generator']
