"""The crop gallery: real crops above clean | inserted pairs, at the same boxes."""
import json
import shutil

import numpy as np
import pytest
import torch
from PIL import Image

from mmdgan.evaluation.crop_gallery import crop_gallery, gallery_gap, row_centres
from mmdgan.models.layers.roi_crop import crop_and_resize


def _sources(demo_data):
    clean = json.loads((demo_data / 'clean_train.json').read_text())['images']
    return lambda coco: [clean[i % len(clean)]['file_name'] for i in range(len(coco['images']))]


def _cell(canvas, row, col, size):
    gap = gallery_gap(size)
    top, left = row * (size + 2 * gap), col * (size + gap) + (col // 2) * gap
    return canvas[top:top + size, left:left + size]


def test_pairs_show_the_clean_film_then_the_inserted_one_at_the_same_box(demo_data,
                                                                        synthetic_copy):
    syn = synthetic_copy(_sources(demo_data))
    canvas, names = crop_gallery(demo_data / 'train.json', {'copy': syn, 'again': syn},
                                 num=3, size=32, context=0.5, clean_root=demo_data)
    assert names == ['real objects', 'copy: clean | inserted', 'again: clean | inserted']
    gap = 2
    assert canvas.shape == (3 * 32 + 2 * 2 * gap, 6 * 32 + 5 * gap + 2 * gap)
    coco = json.loads(syn.read_text())
    first = coco['images'][0]
    x, y, w, h = next(a['bbox'] for a in coco['annotations'] if a['image_id'] == first['id'])
    box = torch.tensor([[x, y, x + w, y + h]], dtype=torch.float32)

    def crop(path):
        img = torch.from_numpy(np.asarray(Image.open(path).convert('L'), np.float32))
        out = crop_and_resize(img[None, None], [box], 32, context=0.5)[0, 0]
        return out.clamp(0, 255).round().byte().numpy()

    # The "synthetic" images are the real ones, so the inserted crop is a real crop,
    # and the clean crop is the recorded source film at the same box.
    np.testing.assert_array_equal(_cell(canvas, 1, 1, 32), crop(syn.parent / first['file_name']))
    np.testing.assert_array_equal(_cell(canvas, 1, 0, 32),
                                  crop(demo_data / coco['info']['sources'][0]))
    np.testing.assert_array_equal(_cell(canvas, 0, 0, 32), _cell(canvas, 1, 1, 32))
    assert row_centres(names, 32) == [16, 16 + 36, 16 + 72]


def test_bad_requests_are_refused(demo_data, synthetic_copy, tmp_path):
    syn = synthetic_copy(_sources(demo_data))
    with pytest.raises(ValueError, match='at least one synthetic set'):
        crop_gallery(demo_data / 'train.json', {})
    with pytest.raises(ValueError, match='num must be >= 1'):
        crop_gallery(demo_data / 'train.json', {'a': syn}, num=0)
    plain = syn.parent / 'plain.json'  # beside the images, without info.sources
    plain.write_text((demo_data / 'train.json').read_text())
    with pytest.raises(ValueError, match='no per-image "info.sources"'):
        crop_gallery(demo_data / 'train.json', {'a': plain})


def test_cli_writes_a_png(demo_data, synthetic_copy, tmp_path, capsys):
    from tests.test_tools.test_tool_errors import _tool
    syn = synthetic_copy(_sources(demo_data))
    out = tmp_path / 'figs' / 'gallery.png'
    main = _tool('tools/analysis_tools/crop_gallery.py').main
    main([str(demo_data / 'train.json'), f'copy={syn}', '--out', str(out), '--num', '2',
          '--size', '24', '--clean-root', str(demo_data), '--title', 'demo'])
    assert Image.open(out).size[0] > 4 * 24 and 'wrote' in capsys.readouterr().out
    assert not list(out.parent.glob('.*tmp*'))


def test_crops_are_labelled_by_class_where_there_are_several(colour_data, tmp_path):
    from mmdgan.evaluation.crop_gallery import save_crop_gallery
    coco = json.loads((colour_data / 'train.json').read_text())
    clean = json.loads((colour_data / 'clean_train.json').read_text())['images']
    coco['info'] = dict(sources=[clean[i % len(clean)]['file_name']
                                 for i in range(len(coco['images']))])
    shutil.copytree(colour_data / 'images', tmp_path / 'syn' / 'images')
    syn = tmp_path / 'syn' / 'train.json'  # beside the images it names
    syn.write_text(json.dumps(coco))
    canvas, names, labels = crop_gallery(colour_data / 'train.json', {'copy': syn}, num=4,
                                         size=24, clean_root=colour_data, return_labels=True)
    # Each cell's class is that of its box, in image and box order.
    names_by_id = {c['id']: c['name'] for c in coco['categories']}
    in_order = [names_by_id[a['category_id']] for img in coco['images']
                for a in coco['annotations'] if a['image_id'] == img['id']]
    assert labels[0] == in_order[:8]
    assert labels[1] == [c for cls in in_order[:4] for c in (cls, cls)]
    assert {'disc', 'square'} <= set(labels[0])

    def png(name, cell_labels):
        save_crop_gallery(canvas, names, 24, tmp_path / name, labels=cell_labels)
        return np.asarray(Image.open(tmp_path / name))
    plain = png('plain.png', None)
    # Several classes: the labels are drawn; one class only: nothing to tell apart.
    assert not np.array_equal(png('labelled.png', labels), plain)
    assert np.array_equal(png('one.png', [['disc'] * len(row) for row in labels]), plain)
