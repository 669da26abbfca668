"""Which distance separates clean crops from real lesion crops at mini-MIAS set sizes?

Run from the repository root (about 8 min on 2 cores):

    PYTHONPATH=$PWD python results/mini-mias/quality/compare_estimators.py

Each row: feature, context, number of real crops (train + val + test lesions),
number of clean crops, then per set ``[mean, std]`` over 20 random halvings of
the real crops of ``(Fréchet distance, kernel distance x 1e3)`` to one half.
Sets: ``halves`` the other half of the real crops; ``clean`` the clean films
at the copy-paste boxes; ``paste`` the copy-paste images themselves
(work_dirs/quality/cp_val: tools/synthesize.py copy-paste on clean_val.json).
Output of the run behind mmdgan/evaluation/insertion_quality.py's numbers:
compare_estimators.txt.
"""
import json

import numpy as np

from mmdgan.evaluation.insertion_quality import (
    CropEmbedder,
    coco_crops,
    frechet_distance,
    kernel_distance,
    synthetic_sources,
)

SYNTHETIC = 'work_dirs/quality/cp_val/train.json'
rng = np.random.default_rng(0)
for feature in ('last_stage', 'head'):
    for context in (0.25, 0.5, 1.0):
        embed = CropEmbedder(context=context, feature=feature)
        real = np.concatenate([embed(*coco_crops(f'data/mini-mias/{split}.json', 512))
                               for split in ('train', 'val', 'test')])
        others = dict(clean=embed(*coco_crops(SYNTHETIC, 512,
                                              synthetic_sources(SYNTHETIC, 'data/mini-mias'))),
                      paste=embed(*coco_crops(SYNTHETIC, 512)))
        rows = {'halves': [], 'clean': [], 'paste': []}
        for _ in range(20):
            order = rng.permutation(len(real))
            half, rest = real[order[:len(real) // 2]], real[order[len(real) // 2:]]
            for name, other in (('halves', rest), *others.items()):
                rows[name].append((frechet_distance(half, other),
                                   1e3 * kernel_distance(half, other)))
        summary = {name: (np.mean(v, 0).round(2).tolist(), np.std(v, 0).round(2).tolist())
                   for name, v in rows.items()}
        print(feature, context, len(real), len(others['clean']), json.dumps(summary), flush=True)
