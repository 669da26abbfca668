from .box_sampler import BoxPriorSampler
from .demo import make_demo_dataset
from .transforms import SampleInsertionBoxes
from .unpaired_det_dataset import UnpairedDetDataset

__all__ = ['BoxPriorSampler', 'SampleInsertionBoxes', 'UnpairedDetDataset',
           'make_demo_dataset']
