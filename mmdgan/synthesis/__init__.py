from .clean_source import (CleanImageSource, box_sampler_cfg, build_box_sampler, gan_resize,
                           labelled_categories, load_coco)
from .copy_paste import CopyPasteSynthesizer, copy_paste_synthesize
from .dataset_writer import SYNTHETIC_ANN_FILE, SyntheticDatasetWriter
from .pipeline import run_synthesis

__all__ = ['CleanImageSource', 'CopyPasteSynthesizer', 'SYNTHETIC_ANN_FILE',
           'SyntheticDatasetWriter', 'box_sampler_cfg', 'build_box_sampler',
           'copy_paste_synthesize', 'gan_resize', 'labelled_categories', 'load_coco',
           'run_synthesis']
