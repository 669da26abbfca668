"""Restore the GAN optimizer states of ``model.init_from`` once the runner has built them."""
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from mmdgan.registry import HOOKS


@HOOKS.register_module()
class InitFromOptimizerHook(Hook):
    """Give a run started with ``model.init_from`` the earlier run's Adam states.

    ``DetectorGAN.init_weights`` loads the generators and discriminators but
    cannot see the optimizers, which the runner builds later; this hook loads
    the generators' and discriminators' states before the first iteration
    (:func:`mmdgan.models.stage_init.load_gan_optimizer_states`), so the
    restart continues the way a resume would. It does nothing for a model
    without ``init_from`` or for a resumed run (the resume restored them).
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        path = getattr(model, 'init_from', None)
        if not path or runner.iter > 0:
            return
        from mmdgan.models.stage_init import load_gan_optimizer_states
        restored = load_gan_optimizer_states(runner.optim_wrapper, path)
        print_log(f'InitFromOptimizerHook: optimizer states of {restored or "no wrapper"} '
                  f'restored from {path}', logger='current')
