# Two-stage GAN training (docs/two-stage-training.md): settings a stage-1 or stage-2 config
# takes from here, by name, next to the DetectorGAN config it starts from.
# The discriminators' data-efficient training on ~100 real objects, in both stages:
# DiffAugment on real and fake alike, lazy R1 on the real inputs.
data_efficient_discs = dict(
    disc_augment=dict(type='DiffAugment', policy=['color', 'translation', 'cutout'],
                      translation_ratio=0.125, cutout_ratio=0.25),
    r1=dict(type='R1Penalty', gamma=1.0, interval=4))
# Stage 1: the inserter and the local discriminator alone on box windows: no detector, no
# global discriminator, no cycle (so no remover pass: it trains in stage 2).
stage1_model = dict(
    data_efficient_discs,
    detector=None,
    loss_weights=dict(adv_global=0.0, cycle=0.0, det_syn=0.0, unroll=0.0))
stage1_optim_wrapper = dict(
    constructor='DetectorGANOptimWrapperConstructor',
    generators=dict(optimizer=dict(type='Adam', lr=2e-4, betas=(0.5, 0.999))),
    discriminators=dict(optimizer=dict(type='Adam', lr=2e-4, betas=(0.5, 0.999))))
