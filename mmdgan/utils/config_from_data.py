"""Fill a generic ("custom") config in from the dataset folder it points at.

A config with ``dataset_meta = 'auto'`` (``configs/*_custom.py``) names no
class, channel count or image size: :func:`apply_dataset_meta`, which every
mmdgan entry point runs after ``--cfg-options`` (``mmdgan.utils.load_config``),
reads them from ``data_root`` (:func:`mmdgan.fileio.dataset_meta.dataset_meta`) and
writes them where the config needs them:

* every dataset whose ``data_root`` is the placeholder :data:`PLACEHOLDER`
  (and every evaluator ``ann_file`` under it) moves to ``data_root``;
* detection datasets get ``metainfo.classes``, every ``num_classes`` of the
  detector follows the data, COCO evaluators report per-class AP;
* image loaders read grey (``color_type='grayscale'``) or colour images as
  the folder holds them, every ``Resize`` uses ``img_scale`` (``'auto'``:
  the folder's median image size, at most :data:`MAX_AUTO_SIDE`);
* DetectorGAN: generators and discriminators take the data's channels, the
  inserter and the local discriminator are class-conditional with several
  classes (``target_label=None``), the insertion region is
  ``insertion_region`` (``'auto'``: by channels, see
  :func:`mmdgan.fileio.dataset_meta.default_region`), and a folder without clean
  images trains on clean context crops (:mod:`mmdgan.fileio.clean_crops`);
* a COCO dataset whose files have other names, or whose images live under a
  prefix (``dataset_files``, or the layout its ``meta.json`` records, see
  :func:`mmdgan.fileio.dataset_folder.dataset_files`): every dataset, box
  sampler and evaluator reading a part of the contract reads that part's
  ``ann_file`` with its ``data_prefix`` instead, the OpenMMLab way.
"""
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Tuple

from mmengine.config import Config, ConfigDict

from mmdgan.fileio.dataset_folder import contract_files
from mmdgan.fileio.dataset_meta import dataset_meta, folder_files

#: The ``data_root`` the custom configs are written with; datasets pointing
#: there follow the config's ``data_root`` (set by ``--cfg-options``).
PLACEHOLDER = 'data/custom/'
#: Longest image side ``img_scale='auto'`` picks: CPU training stays feasible.
MAX_AUTO_SIDE = 512
#: ``Resize`` scales are rounded to this (the generators' and FPN's strides).
SCALE_DIVISOR = 32
LOADERS = ('LoadImageFromFile', 'mmdet.LoadImageFromFile', 'mmcv.LoadImageFromFile')
RESIZES = ('Resize', 'mmdet.Resize')
COCO_DATASETS = ('mmdet.CocoDataset', 'CocoDataset')


def _walk(node: Any) -> Iterator[dict]:
    """Every dict inside ``node`` (itself included), depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _walk(value)


def _set_all(node: Any, key: str, value: Any, where: Callable[[dict], bool] = None) -> None:
    for d in _walk(node):
        if key in d and (where is None or where(d)):
            d[key] = value


def auto_scale(meta: dict) -> Tuple[int, int]:
    """``(w, h)`` of ``img_scale='auto'``: the median image, long side <= 512."""
    w, h = meta['image_size']['median_wh']
    factor = min(1.0, MAX_AUTO_SIDE / max(w, h))

    def rounded(v: float) -> int:
        return max(SCALE_DIVISOR, int(round(v * factor / SCALE_DIVISOR)) * SCALE_DIVISOR)

    return rounded(w), rounded(h)


def _data_root(cfg: Config) -> str:
    """``data_root``; where it is still the placeholder, the first existing
    folder that a caller set as a dataset's own ``data_root`` instead (training,
    test, then validation set; the experiment runner does so for training and
    for scoring). A synthetic set (``syn_data_root``) never counts."""
    root = str(cfg.get('data_root', PLACEHOLDER))
    root = root if root.endswith('/') else root + '/'
    if root != PLACEHOLDER:
        return root
    synthetic = str(cfg.get('syn_data_root', '')).rstrip('/')
    for key in ('train_dataloader', 'test_dataloader', 'val_dataloader'):
        for d in _walk((cfg.get(key) or {}).get('dataset')):
            given = d.get('data_root')
            if (isinstance(given, str) and given.rstrip('/') + '/' != PLACEHOLDER
                    and given.rstrip('/') != synthetic and Path(given).is_dir()):
                return given.rstrip('/') + '/'
    return root


def apply_dataset_meta(cfg: Config) -> Config:
    """Resolve a ``dataset_meta='auto'`` config against its ``data_root`` (in place).

    Configs without ``dataset_meta='auto'`` are returned untouched, and so
    is a generic config still at the placeholder folder when that does not
    exist (read for its schedule by a planner, before any data is named:
    building its datasets then fails on the missing files, naming them).

    Raises:
        FileNotFoundError: ``data_root`` is not a dataset folder.
        ValueError: The folder's files are malformed (named by the reader).
    """
    if cfg.get('dataset_meta') != 'auto':
        return cfg
    root = _data_root(cfg)
    if root == PLACEHOLDER and not Path(root).is_dir():
        return cfg
    if not Path(root).is_dir():
        raise FileNotFoundError(f'data_root: dataset folder not found: {root} (set it with '
                                '--cfg-options data_root=PATH)')
    files = folder_files(root, cfg.get('dataset_files'))
    meta = dataset_meta(root, files)
    classes, channels = tuple(meta['classes']), int(meta['channels'])
    cfg.data_root = root
    cfg.dataset_classes = list(classes)
    cfg.dataset_channels = channels
    scale = cfg.get('img_scale', 'auto')
    scale = auto_scale(meta) if scale == 'auto' else tuple(scale)
    cfg.img_scale = scale
    loaders = [cfg.get(k) for k in ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    loaders = [d for d in loaders if d]
    # Where the data is.
    _set_all(loaders, 'data_root', root, lambda d: d['data_root'] == PLACEHOLDER)
    for key in ('val_evaluator', 'test_evaluator'):
        for d in _walk(cfg.get(key)):
            ann = d.get('ann_file')
            if isinstance(ann, str) and ann.startswith(PLACEHOLDER):
                d['ann_file'] = root + ann[len(PLACEHOLDER):]
            if d.get('type') in ('mmdet.CocoMetric', 'CocoMetric'):
                d['classwise'] = True
    if files != contract_files():
        _relocate(cfg, loaders, root, files)
    # What the images are.
    color = 'grayscale' if channels == 1 else 'color'
    gan_pipelines = [d for loader in loaders for d in _walk(loader)
                     if d.get('type') == 'UnpairedDetDataset']
    for dataset in gan_pipelines:
        for key in ('clean_pipeline', 'labelled_pipeline'):
            _set_all(dataset[key], 'color_type', color,
                     lambda d: d.get('type') in LOADERS)
    _set_all(loaders, 'scale', scale, lambda d: d.get('type') in RESIZES)
    _set_all(loaders, 'metainfo', dict(classes=classes),
             lambda d: d.get('type') in COCO_DATASETS)
    # The unpaired GAN dataset: every class, the region, a clean set.
    region = cfg.get('insertion_region', 'auto')
    region = meta.get('region', 'any') if region == 'auto' else region
    for dataset in gan_pipelines:
        if dataset['data_root'] != root:
            continue
        dataset['target_class'] = None
        _set_all(dataset, 'region', region, lambda d: d.get('type') == 'BoxPriorSampler')
        if dataset.get('clean_ann_file') == 'clean_train.json':
            from mmdgan.fileio.clean_crops import CROPS_FILE, clean_train_file
            dataset['clean_ann_file'] = clean_train_file(root, files=files)
            prefix = ('' if dataset['clean_ann_file'] == CROPS_FILE
                      else files['clean_train']['data_prefix']['img'])
            if prefix != dict(dataset.get('data_prefix') or {}).get('img', ''):
                dataset['clean_data_prefix'] = dict(img=prefix)
    model = cfg.get('model')
    if model:
        _apply_to_model(model, len(classes), channels)
    return cfg


def _relocate(cfg: Config, loaders: list, root: str, files: dict) -> None:
    """Point every reader of a contract file under ``root`` at the part's own
    ``ann_file`` and image ``data_prefix`` (a COCO layout of another tool).

    The clean training file of the GAN is left to :func:`apply_dataset_meta`,
    which may replace it by clean context crops.
    """
    part_of = {entry['ann_file']: part for part, entry in contract_files().items()}

    def entry_for(ann_file: Any) -> Optional[dict]:
        return files.get(part_of.get(ann_file)) if isinstance(ann_file, str) else None

    for d in _walk(loaders):
        if d.get('data_root') != root:
            continue
        if d.get('type') in COCO_DATASETS and entry_for(d.get('ann_file')):
            entry = entry_for(d['ann_file'])
            d['ann_file'] = entry['ann_file']
            d['data_prefix'] = dict(d.get('data_prefix') or {}, **entry['data_prefix'])
        elif d.get('type') == 'UnpairedDetDataset':
            entry = entry_for(d.get('labelled_ann_file'))
            if entry:
                d['labelled_ann_file'] = entry['ann_file']
                d['data_prefix'] = dict(d.get('data_prefix') or {}, **entry['data_prefix'])
            sampler = d.get('box_sampler') or {}
            if entry_for(sampler.get('ann_file')):
                sampler['ann_file'] = entry_for(sampler['ann_file'])['ann_file']
    for key in ('val_evaluator', 'test_evaluator'):
        for d in _walk(cfg.get(key)):
            ann = d.get('ann_file')
            if isinstance(ann, str) and ann.startswith(root) and entry_for(ann[len(root):]):
                d['ann_file'] = root + entry_for(ann[len(root):])['ann_file']


def _apply_to_model(model: ConfigDict, num_classes: int, channels: int) -> None:
    """Channels and classes of a DetectorGAN or plain mmdet model config."""
    if model.get('type') != 'DetectorGAN':
        _set_all(model, 'num_classes', num_classes)
        return
    if model.get('detector'):
        _set_all(model['detector'], 'num_classes', num_classes)
    for key in ('generator_x', 'generator_y'):
        gen = model[key]
        inner = gen.get('generator', gen)  # a LocalCropInserter config wraps one
        inner['in_channels'] = channels
        inner['num_classes'] = num_classes
    for key in ('disc_global_x', 'disc_global_y'):
        model[key]['in_channels'] = channels
    model['disc_local_x']['in_channels'] = channels
    model['disc_local_x']['num_classes'] = num_classes
    model['target_label'] = None if num_classes > 1 else 0
