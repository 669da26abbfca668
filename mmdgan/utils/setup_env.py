"""Scope registration: fill mmdgan's registries and make ``mmdgan`` the default scope."""
import datetime
import warnings
from contextlib import contextmanager
from typing import Iterator

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every mmdgan (and mmdet) module so that the registries are filled.

    The packages to import are the ``locations`` each registry of
    :mod:`mmdgan.registry` declares, so this low-level module needs no import
    of the packages above it (they import ``mmdgan.utils``).

    Args:
        init_default_scope: Whether to make ``mmdgan`` the current default
            scope, so that unprefixed ``type=`` names resolve in our registries
            first and fall back to mmdet's.
    """
    import mmdet.utils

    mmdet.utils.register_all_modules(init_default_scope=False)

    from mmengine.registry import Registry

    from mmdgan import registry

    for reg in vars(registry).values():
        if isinstance(reg, Registry) and reg.scope == 'mmdgan':
            reg.import_from_location()

    if init_default_scope:
        never_created = (DefaultScope.get_current_instance() is None
                         or not DefaultScope.check_instance_created('mmdgan'))
        if never_created:
            DefaultScope.get_instance('mmdgan', scope_name='mmdgan')
            return
        current_scope = DefaultScope.get_current_instance()
        if current_scope.scope_name != 'mmdgan':
            warnings.warn('The current default scope '
                          f'"{current_scope.scope_name}" is not "mmdgan", '
                          '`register_all_modules` will force the current '
                          'default scope to be "mmdgan".', stacklevel=2)
            new_instance_name = f'mmdgan-{datetime.datetime.now()}'
            DefaultScope.get_instance(new_instance_name, scope_name='mmdgan')


@contextmanager
def mmdgan_scope() -> Iterator[None]:
    """Build inside the ``mmdgan`` scope, whatever the current default scope.

    mmengine resolves ``type=`` names in the registry of the *current* default
    scope; after a plain mmdet run that is ``mmdet``, whose registries do not
    know our modules. API entry points that build outside a Runner use this.
    """
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope('mmdgan'):
        yield
