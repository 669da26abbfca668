"""results/ holds results only: no weights, no scripts, no path of the machine that made them."""
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
#: An absolute path of a machine: a root folder of Linux or macOS after a non-path character.
MACHINE_PATH = re.compile(r'(?:^|[\s"\'=`(:,\[])/(?:work|root|home|tmp|opt|usr|mnt|Users)/')


def _committed_results():
    try:
        out = subprocess.run(['git', 'ls-files', 'results'], cwd=REPO, capture_output=True,
                             text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip('not a git checkout')
    return [REPO / name for name in out if (REPO / name).is_file()]


def test_results_hold_no_weights_scripts_or_machine_paths():
    files = _committed_results()
    assert files
    assert not [f for f in files if f.suffix in ('.pth', '.pt', '.ckpt', '.onnx', '.sh')]
    # 5 MB until 7 Dec; the learning-curve headline adds ~1.5 MB of units and report, the
    # substrate of its --report-only numbers, so the budget is 7 MB.
    assert sum(f.stat().st_size for f in files) < 7e6
    machine = []
    for f in files:
        if f.suffix in ('.json', '.md', '.txt', '.log', '.py'):
            text = f.read_text(errors='replace')
            if MACHINE_PATH.search(text) or str(REPO) in text:
                machine.append(str(f.relative_to(REPO)))
    assert not machine, f'absolute machine paths in {machine[:5]}'
