"""Scope registration and the torch>=2.6 checkpoint fix, applied once on import."""
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every mmdgan (and mmdet) module so that the registries are filled.

    Args:
        init_default_scope: Whether to make ``mmdgan`` the current default
            scope, so that unprefixed ``type=`` names resolve in our registries
            first and fall back to mmdet's.
    """
    import mmdet.utils

    mmdet.utils.register_all_modules(init_default_scope=False)

    import mmdgan.apis  # noqa: F401
    import mmdgan.datasets  # noqa: F401
    import mmdgan.engine  # noqa: F401
    import mmdgan.evaluation  # noqa: F401
    import mmdgan.models  # noqa: F401

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
