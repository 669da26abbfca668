"""Write the record of one long GAN run: curve table, curve figure, zoomed insertions.

    python results/mini-mias/gan_diag/long_run.py work_dirs/diag/dgan_long_fold0 \
        --name long_run_residual --title "..." --command "..." --reading reading.md \
        [--out-dir results/mini-mias/gan_diag] [--zoom-iters 100 500 1000]

Reads the run's ``insertion_quality.json`` (InsertionQualityHook) and its
``vis/iter_*.png`` grids (GANVisualizationHook: rows clean, mask, inserted,
labelled, removed) and writes, in ``--out-dir``: ``<name>.md`` (table, command,
reading), ``<name>.json`` (the curve), ``<name>_curve.png`` and
``<name>_zoom.png`` (clean | inserted around each box of the grid's training
batch, 3x the box, nearest-neighbour zoom, one row per chosen iteration).
Run from the repository root. The first long run (in-loop detector on real films,
image-output inserter) is kept as ``long_run.md`` / ``long_run.json``.
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from make_figure import LABEL_W, TILE, zoom_row  # noqa: E402

from mmdgan.evaluation.quality_curve import curve_table, load_curve, plot_curves  # noqa: E402


def zoom_sheet(run: Path, iters, curve: dict) -> Image.Image:
    points = {p['iter']: p for p in curve['curve']}
    rows = []
    for it in iters:
        strip = zoom_row(run / 'vis' / f'iter_{it:06d}.png')
        canvas = Image.new('L', (LABEL_W + strip.shape[1], TILE + 6), 0)
        canvas.paste(Image.fromarray(strip), (LABEL_W, 3))
        draw = ImageDraw.Draw(canvas)
        draw.text((6, 30), f'iteration {it}', fill=255)
        if it in points:
            draw.text((6, 50), f'kernel {1e3 * points[it]["kernel"]:.0f}e-3 (clean '
                      f'{1e3 * curve["clean"]["kernel"]:.0f}e-3)', fill=255)
        rows.append(np.asarray(canvas))
    width = max(r.shape[1] for r in rows)
    return Image.fromarray(np.concatenate(
        [np.pad(r, ((0, 0), (0, width - r.shape[1]))) for r in rows], 0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('run', type=Path, help='work dir of the run')
    parser.add_argument('--name', required=True)
    parser.add_argument('--title', required=True)
    parser.add_argument('--command', required=True, help='the command that ran it')
    parser.add_argument('--reading', type=Path, help='markdown file: what the run shows')
    parser.add_argument('--out-dir', type=Path, default=Path(__file__).parent)
    parser.add_argument('--zoom-iters', type=int, nargs='+',
                        help='grid iterations to zoom (default: first, middle, last)')
    args = parser.parse_args()
    curve = load_curve(args.run)
    done = [p['iter'] for p in curve['curve']]
    iters = args.zoom_iters or sorted({done[0], done[len(done) // 2], done[-1]})
    args.out_dir.mkdir(parents=True, exist_ok=True)
    plot_curves({args.name: curve}, args.out_dir / f'{args.name}_curve.png', args.title)
    zoom_sheet(args.run, iters, curve).save(args.out_dir / f'{args.name}_zoom.png')
    text = [f'# {args.title}', '', curve_table(curve), f'Command: `{args.command}`', '',
            f'`{args.name}_curve.png`: the curve (dashed: clean crops; dotted: ½ clean, the '
            f'target). `{args.name}_zoom.png`: clean | inserted around each box of the '
            'training batch drawn by GANVisualizationHook at iterations '
            f'{", ".join(map(str, iters))}.', '']
    if args.reading:
        text.append(args.reading.read_text())
    (args.out_dir / f'{args.name}.md').write_text('\n'.join(text))
    (args.out_dir / f'{args.name}.json').write_text(json.dumps(curve, indent=1) + '\n')


if __name__ == '__main__':
    main()
