"""Insertion-quality curves: reading the hook's files, the table, the figure and the tool."""
import json

import pytest
from PIL import Image

from mmdgan.evaluation.quality_curve import curve_table, load_curve, plot_curves
from mmdgan.utils.cli import run_tool
from tools.analysis_tools.quality_curve import main

CURVE = dict(clean=dict(kernel=0.063, frechet=198.0), num_real=80, num_inserted=60,
             curve=[dict(iter=100, kernel=0.054, frechet=180.0),
                    dict(iter=200, kernel=0.0315, frechet=150.0)])


def _write(path, obj):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj))
    return path


def test_load_curve_from_work_dir_or_file(tmp_path):
    file = _write(tmp_path / 'run' / 'insertion_quality.json', CURVE)
    assert load_curve(tmp_path / 'run') == load_curve(file) == CURVE


@pytest.mark.parametrize('content, match', [
    ('{"clean": {}', 'not JSON'),
    ('{"clean": {"kernel": 1, "frechet": 2}, "curve": []}', 'not an insertion quality curve'),
    ('[1, 2]', 'not an insertion quality curve'),
    ('{"clean": {"kernel": 1, "frechet": 2}, "curve": [{"iter": 1, "kernel": 1}]}',
     r"lacks \['frechet'\]"),
])
def test_load_curve_names_the_file_and_the_fault(tmp_path, content, match):
    bad = tmp_path / 'bad.json'
    bad.write_text(content)
    with pytest.raises(ValueError, match=match) as info:
        load_curve(bad)
    assert str(bad) in str(info.value)
    with pytest.raises(FileNotFoundError, match='empty_dir/insertion_quality.json'):
        (tmp_path / 'empty_dir').mkdir()
        load_curve(tmp_path / 'empty_dir')


def test_table_gives_values_and_ratios_to_clean():
    table = curve_table(CURVE).splitlines()
    assert table[2] == '| clean crops (no insertion) | 63 | 1 | 198 | 1 |'
    assert table[3] == '| 100 | 54 | 0.86 | 180 | 0.91 |'
    # 31.5e-3 is exactly half of clean: the target line.
    assert table[4] == '| 200 | 32 | 0.50 | 150 | 0.76 |'


def test_tool_writes_figure_and_tables(tmp_path, capsys):
    _write(tmp_path / 'a' / 'insertion_quality.json', CURVE)
    other = dict(CURVE, curve=CURVE['curve'][:1])
    _write(tmp_path / 'b' / 'insertion_quality.json', other)
    out, md = tmp_path / 'fig' / 'curve.png', tmp_path / 'curve.md'
    curves = main([f'DetectorGAN={tmp_path / "a"}', f'no-detector={tmp_path / "b"}',
                   '--out', str(out), '--markdown', str(md), '--title', 'fold 0'])
    assert list(curves) == ['DetectorGAN', 'no-detector']
    assert Image.open(out).size[0] > 600
    text = md.read_text()
    assert text.startswith('## DetectorGAN\n') and '## no-detector\n' in text
    assert text.count('| 100 | 54 |') == 2 and text.count('| 200 |') == 1
    assert 'wrote' in capsys.readouterr().out


def test_tool_refuses_bad_runs_in_one_line(tmp_path, capsys):
    assert run_tool(main, [f'x={tmp_path / "missing"}', '--out', str(tmp_path / 'c.png')]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(tmp_path / 'missing') in err
    assert not (tmp_path / 'c.png').exists()
    with pytest.raises(SystemExit):
        main(['no-equals-sign', '--out', str(tmp_path / 'c.png')])
    with pytest.raises(ValueError, match='no curves'):
        plot_curves({}, tmp_path / 'c.png')


def test_moving_average_runs_show_gx_itself_too(tmp_path):
    ema = dict(CURVE, curve=[dict(p, raw_kernel=2 * p['kernel'], raw_frechet=p['frechet'] + 1)
                             for p in CURVE['curve']])
    table = curve_table(ema).splitlines()
    assert 'G_X itself: kernel distance ×1e-3 | raw_kernel / clean' in table[0]
    assert table[3] == '| 100 | 54 | 0.86 | 180 | 0.91 | 108 | 1.71 | 181 | 0.91 |'
    plot_curves({'ema': ema, 'plain': CURVE}, tmp_path / 'c.png')
    assert (tmp_path / 'c.png').is_file()
