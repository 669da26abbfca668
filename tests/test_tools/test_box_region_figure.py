"""tools/analysis_tools/box_region_figure.py tiles films with their breast region drawn."""
import importlib.util
from pathlib import Path

import cv2
import numpy as np

TOOL = Path(__file__).resolve().parents[2] / 'tools' / 'analysis_tools' / 'box_region_figure.py'


def _tool():
    spec = importlib.util.spec_from_file_location('box_region_figure', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_figure_of_three_films(tmp_path, capsys):
    yy, xx = np.mgrid[:96, :80]
    for i in range(3):
        film = np.full((96, 80), 5, np.uint8)
        film[((xx - 79) / 50.0)**2 + ((yy - 55) / 70.0)**2 <= 1] = 120
        film[4:10, 4:14] = 250  # a label
        cv2.imwrite(str(tmp_path / f'f{i}.png'), film)
    out = tmp_path / 'fig' / 'region.png'
    main = _tool().main
    assert main([str(tmp_path), '--films', 'f0', 'f1', 'f2', '--columns', '2', '--size', '64',
                 '--out', str(out)]) == 0
    fig = cv2.imread(str(out))
    assert fig.shape == (128, 128, 3)
    assert (fig[64:, 64:] == 0).all()  # the fourth tile is empty
    # Green outline of the region and blue label overlay on the first film.
    tile = fig[:64, :64].astype(int)
    assert ((tile[..., 1] == 255) & (tile[..., 0] == 0)).any()
    assert (tile[..., 0] - tile[..., 2] > 80).any()
    assert main([str(tmp_path), '--films', 'missing', '--out', str(out)]) == 1
    assert 'image not found' in capsys.readouterr().err
