"""``train`` adds the init_from optimizer hook in code, once, without touching the config."""
from types import SimpleNamespace

from mmdgan.engine.hooks import InitFromOptimizerHook
from mmdgan.engine.train import add_init_from_hook


def _runner(hooks):
    runner = SimpleNamespace(hooks=list(hooks), registered=[])

    def register_hook(hook, priority=None):
        runner.registered.append((hook, priority))
        runner.hooks.append(hook)

    runner.register_hook = register_hook
    return runner


def test_the_hook_is_added_when_missing_and_not_twice():
    runner = _runner([])
    add_init_from_hook(runner)
    add_init_from_hook(runner)
    assert len(runner.registered) == 1
    hook, priority = runner.registered[0]
    assert isinstance(hook, InitFromOptimizerHook) and priority == 'VERY_HIGH'


def test_a_configured_hook_is_kept():
    configured = InitFromOptimizerHook()
    runner = _runner([configured])
    add_init_from_hook(runner)
    assert runner.registered == [] and runner.hooks == [configured]


def test_the_default_runtime_does_not_name_it():
    # The committed experiment units record digests of the resolved GAN configs.
    from pathlib import Path
    text = (Path(__file__).parents[2] / 'configs/_base_/default_runtime.py').read_text()
    assert 'InitFromOptimizerHook' not in text
