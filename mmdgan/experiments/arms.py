"""The arms of the comparison: what each one adds to the fold's real training films.

Every arm trains the same downstream detector on the real films plus its synthetic set
(``real-steps``: plus steps); a GAN arm's GAN is the config ``gan_configs[arm]``.
"""
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional


@dataclass(frozen=True)
class Arm:
    """One arm of the comparison.

    Attributes:
        name: Key used in file names and results.
        label: Human-readable name.
        synthetic: ``None`` (real only), ``'copy-paste'`` or ``'gan'``.
        variant: GAN variant token (``''`` for the full DetectorGAN); names its step cost.
        matched_steps: Real only, but trained for as many iterations as an
            augmented arm (equal real exposure gives those one epoch per real
            *and* synthetic image: twice the steps at one synthetic image per
            real one). Tells a gain of the synthetic images from a gain of the
            extra optimiser steps.
        detector_in_loop: The GAN has an in-loop detector to warm-start.
    """

    name: str
    label: str
    synthetic: Optional[str] = None
    variant: str = ''
    matched_steps: bool = False
    detector_in_loop: bool = True


ARMS: Dict[str, Arm] = {a.name: a for a in (
    Arm('real', 'real only'),
    Arm('copy-paste', 'real + copy-paste', 'copy-paste'),
    Arm('gan-nodet', 'real + GAN w/o detector', 'gan', 'nodet'),
    Arm('dgan-nounroll', 'real + DetectorGAN w/o unroll', 'gan', 'nounroll'),
    Arm('dgan', 'real + DetectorGAN', 'gan', ''),
    # Not one of the five: DetectorGAN without L_det^syn and with a smaller
    # virtual step (results/mini-mias/gan_diag/README.md, fifth and sixth rounds).
    Arm('dgan-unroll', 'real + DetectorGAN, unroll only', 'gan', 'unroll-only'),
    # Not one of the five either: the steps the augmented arms get, without their images.
    Arm('real-steps', 'real only, augmented steps', matched_steps=True),
    # Stage 1 of two-stage training (no detector): a GAN arm of its own, and the GAN the
    # stage-2 arms start from (``gan_init_from``).
    Arm('gan-stage1', 'real + stage-1 GAN', 'gan', 'stage1', detector_in_loop=False),
)}

#: The comparison's five arms (issue 12).
DEFAULT_ARMS = ('real', 'copy-paste', 'gan-nodet', 'dgan-nounroll', 'dgan')


def main_ratio(arm: str, syn_per_real: float) -> float:
    """An arm's synthetic images per real one outside the sweep (0 for real only)."""
    return syn_per_real if ARMS[arm].synthetic else 0.0


def steps_controls(arms: Iterable[str]) -> List[str]:
    """The arms that train real-only for an augmented arm's iterations."""
    return [arm for arm in arms if ARMS[arm].matched_steps]
