"""Zoomed insertions and the quality table of the detector-term diagnosis.

Reads the runs' ``vis/iter_*.png`` grids (GANVisualizationHook: rows clean, mask,
inserted, labelled, removed) and ``insertion_quality.json`` curves, writes
``insertions_zoom.png`` (per run: clean and inserted crop around each of the four
boxes, 3x the box, nearest-neighbour zoom so that a pixel grid stays visible) and
``quality.json`` (the curves). Run from the repository root:

    python results/mini-mias/gan_diag/make_figure.py
"""
import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

HERE = Path(__file__).parent
CV = Path('work_dirs/cv_superseded/fold0/frac1')  # the CV's first (syn_ratio 0.5) GANs
DIAG = Path('work_dirs/diag')
#: label -> (run dir, iteration of the zoomed grid)
RUNS = {
    'no detector (gan-nodet), nearest': (DIAG / 'nodet', 300),
    'no detector, nearest, local D 64 px': (DIAG / 'nodet_d64', 300),
    'no detector, bilinear decoder': (DIAG / 'nodet_bil', 300),
    'det_syn only (dgan-nounroll), nearest': (CV / 'dgan-nounroll/gan0/gan', 300),
    'unroll only (det_syn 0), nearest': (DIAG / 'unroll_only', 100),
    'DetectorGAN, detector terms x0.1, nearest': (DIAG / 'det01', 100),
    'DetectorGAN (dgan), nearest': (CV / 'dgan/gan0/gan', 300),
    'DetectorGAN, bilinear decoder': (DIAG / 'dgan_bil', 300),
    'DetectorGAN, in-loop detector on real only': (DIAG / 'dgan_realdet', 200),
    # Residual generators (syn_ratio 0 from here on).
    'no detector, residual, paste output': (DIAG / 'nodet_res', 300),
    'no detector, residual, paste change': (DIAG / 'nodet_res_change', 300),
    'DetectorGAN, residual, paste output': (DIAG / 'dgan_res', 300),
    'DetectorGAN, residual, paste change': (DIAG / 'dgan_change', 300),
    'DetectorGAN, residual, change, det x0.1': (DIAG / 'dgan_change_w01', 300),
}
TILE = 96
LABEL_W = 330


def zoom_row(grid: Path) -> np.ndarray:
    img = np.asarray(Image.open(grid).convert('L')).astype(np.uint8)
    height = img.shape[0]
    rows = [img[int(i * height / 5):int((i + 1) * height / 5)] for i in range(5)]
    mask = rows[1] > 128
    mask[:, :150] = False  # the row labels
    labels, _ = ndimage.label(mask)
    tiles = []
    for sl in ndimage.find_objects(labels):
        cy, cx = (sl[0].start + sl[0].stop) // 2, (sl[1].start + sl[1].stop) // 2
        r = max(sl[0].stop - sl[0].start, sl[1].stop - sl[1].start) * 3 // 2 + 4
        for src in (rows[0], rows[2]):
            crop = src[max(cy - r, 0):cy + r, max(cx - r, 0):cx + r]
            tiles.append(np.asarray(Image.fromarray(crop).resize((TILE, TILE), Image.NEAREST)))
        tiles.append(np.zeros((TILE, 4), np.uint8))
    return np.concatenate(tiles, 1)


def main() -> None:
    rows, quality = [], {}
    for label, (run, it) in RUNS.items():
        curve = json.loads((run / 'insertion_quality.json').read_text())
        quality[label] = dict(run=str(run), clean=curve['clean'], curve=curve['curve'])
        last = {c['iter']: c for c in curve['curve']}[it]
        strip = zoom_row(run / 'vis' / f'iter_{it:06d}.png')
        canvas = Image.new('L', (LABEL_W + strip.shape[1], TILE + 6), 0)
        canvas.paste(Image.fromarray(strip), (LABEL_W, 3))
        draw = ImageDraw.Draw(canvas)
        draw.text((6, 30), label, fill=255)
        draw.text((6, 50), f'iter {it}: kernel {1e3 * last["kernel"]:.0f}e-3 '
                  f'(clean {1e3 * curve["clean"]["kernel"]:.0f}e-3)', fill=255)
        rows.append(np.asarray(canvas))
    width = max(r.shape[1] for r in rows)
    sheet = np.concatenate([np.pad(r, ((0, 0), (0, width - r.shape[1]))) for r in rows], 0)
    Image.fromarray(sheet).save(HERE / 'insertions_zoom.png')
    (HERE / 'quality.json').write_text(json.dumps(quality, indent=1) + '\n')


if __name__ == '__main__':
    main()
