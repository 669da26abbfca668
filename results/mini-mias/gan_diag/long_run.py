"""Write long_run.md / long_run.json: the curve of the DetectorGAN run with ``syn_ratio=0``
continued past 300 iterations (``work_dirs/diag/dgan_realdet``, resumable with the command
below). Run from the repository root: python results/mini-mias/gan_diag/long_run.py
"""
import json
from pathlib import Path

HERE = Path(__file__).parent
RUN = Path('work_dirs/diag/dgan_realdet')
COMMAND = ('OMP_NUM_THREADS=1 python tools/train.py '
           'configs/dgan_retinanet-effnet-lite0_local-crop_1xb4-2k_mini-mias.py '
           '--work-dir work_dirs/diag/dgan_realdet --resume --cfg-options <fold-0 data options of '
           'README.md> train_cfg.max_iters=2000')
#: What the curve and the images showed when the run was stopped (update when resumed).
READING = """\
Stopped at iteration 600 (checkpoint `iter_600.pth`) to give the cross-validation both cores;
the same command resumes it. The level falls from ~500e-3 (100–400 it) to ~330e-3 (500–600 it),
still about 5× the clean crops: not flattened, far from ½ clean. At 600 iterations
(`long_run_iter600_zoom.png`: clean | inserted around the hook's four boxes) the insertions are
smooth blobs with no grid, some with a horizontal seam inside the mask; they do not yet look
like lesions.
"""


def main() -> None:
    quality = json.loads((RUN / 'insertion_quality.json').read_text())
    rows = [f'| {c["iter"]} | {1e3 * c["kernel"]:.0f} | {c["frechet"]:.0f} |'
            for c in quality['curve']]
    clean = quality['clean']
    text = '\n'.join([
        '# DetectorGAN with the in-loop detector on real films only, continued',
        '',
        'CV fold 0, seed 0, local crop, `syn_ratio=0`, one thread beside two CV jobs '
        '(2-core sandbox).',
        f'Clean crops (no insertion): kernel {1e3 * clean["kernel"]:.0f}e-3, Fréchet '
        f'{clean["frechet"]:.0f}; the issue\'s target is ≤ ½ clean.',
        '',
        '| iteration | kernel distance ×1e-3 | Fréchet distance |',
        '| --- | --- | --- |',
        *rows,
        '',
        f'Resume: `{COMMAND}`',
        '',
        READING,
    ])
    (HERE / 'long_run.md').write_text(text)
    (HERE / 'long_run.json').write_text(json.dumps(quality, indent=1) + '\n')


if __name__ == '__main__':
    main()
