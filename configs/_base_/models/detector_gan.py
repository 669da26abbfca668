# The GAN half of every DetectorGAN config: inserter and remover, global and local
# discriminators, losses and the unroll. A model config combines it with a detector
# config as  model = dict(_base_.detector_gan, _delete_=True, detector=_base_.model).
gen = dict(type='MaskedResnetGenerator', in_channels=1, base_channels=16, num_blocks=4,
           num_downsamples=2, composite='feather', feather_radius=3)
disc = dict(type='PatchDiscriminator', in_channels=1, base_channels=16, num_layers=3)

detector_gan = dict(
    type='DetectorGAN',
    data_preprocessor=dict(type='UnpairedDataPreprocessor'),
    generator_x=gen,
    generator_y=gen,
    disc_global_x=disc,
    disc_global_y=disc,
    disc_local_x=dict(type='LocalPatchDiscriminator', in_channels=1, crop_size=32,
                      base_channels=16, num_layers=2, context=0.5),
    gan_loss=dict(type='GANLoss', gan_type='lsgan'),
    # A zero weight skips its term (loss_weights.unroll=0: no unroll).
    loss_weights=dict(adv_global=1.0, adv_local=1.0, cycle=10.0, identity=5.0, det_syn=1.0,
                      unroll=1.0),
    unroll=dict(mode='exact', inner_lr=0.01, fd_eps=0.01),
    train_cfg=dict(disc_steps=1, det_warmup_iters=0, syn_ratio=0.5),
    target_label=0)
