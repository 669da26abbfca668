"""The subpackages of mmdgan import each other one way only (issue 14.2).

Layers, bottom to top: registry, version, fileio, utils; models, datasets;
engine, synthesis, evaluation; experiments, deploy; apis. Every import counts,
also the ones inside functions, since a lazy import is still an arrow.
"""
import ast
import subprocess
import sys
from pathlib import Path
from typing import Dict, Set

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / 'mmdgan'
SUBPACKAGES = sorted(p.name for p in PACKAGE.iterdir() if (p / '__init__.py').is_file())


def _target(node: ast.AST, module: str) -> Set[str]:
    """mmdgan subpackages (or top modules) named by one import statement."""
    names = []
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    elif isinstance(node, ast.ImportFrom):
        if node.level:
            base = module.split('.')[:-node.level]
            names = ['.'.join(base + ([node.module] if node.module else []))]
        else:
            names = [node.module or '']
        if names[0] == 'mmdgan':  # ``from mmdgan import registry``
            names = [f'mmdgan.{a.name}' for a in node.names]
    return {n.split('.')[1] for n in names if n.startswith('mmdgan.')}


def import_graph() -> Dict[str, Set[str]]:
    """``{subpackage: subpackages it imports}`` over every statement of its files."""
    graph = {}
    for pkg in SUBPACKAGES:
        deps = set()
        for file in (PACKAGE / pkg).rglob('*.py'):
            parts = file.relative_to(PACKAGE.parent).with_suffix('').parts
            module = '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)
            if parts[-1] == '__init__':
                module += '.__init__'
            for node in ast.walk(ast.parse(file.read_text())):
                deps |= _target(node, module)
        graph[pkg] = deps - {pkg}
    return graph


def find_cycle(graph: Dict[str, Set[str]]):
    """One import cycle as a list of nodes, or ``None``."""
    state: Dict[str, int] = {}
    stack = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                return stack[stack.index(dep):] + [dep]
            if dep not in state:
                found = visit(dep)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_cycle_among_subpackages():
    graph = import_graph()
    assert {'apis', 'deploy', 'engine', 'evaluation', 'utils', 'fileio'} <= set(graph)
    cycle = find_cycle(graph)
    assert cycle is None, 'import cycle: ' + ' -> '.join(cycle)


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({'a': {'b'}, 'b': {'c'}, 'c': {'a'}}) == ['a', 'b', 'c', 'a']
    assert find_cycle({'a': {'b'}, 'b': set()}) is None


def test_low_layers_import_nothing_above_them():
    graph = import_graph()
    assert graph['fileio'] == set()
    assert graph['utils'] <= {'fileio', 'registry'}
    assert 'apis' not in graph['deploy'] and 'deploy' not in graph['synthesis']


@pytest.mark.parametrize('pkg', SUBPACKAGES)
def test_each_subpackage_imports_alone(pkg):
    """In a fresh interpreter: no subpackage relies on another being imported first."""
    result = subprocess.run([sys.executable, '-c', f'import mmdgan.{pkg}'],
                            capture_output=True, text=True, cwd=PACKAGE.parent)
    assert result.returncode == 0, result.stderr[-2000:]
