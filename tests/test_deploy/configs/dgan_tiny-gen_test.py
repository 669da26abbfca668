# A DetectorGAN config reduced to what deployment reads: the two generators.
model = dict(
    type='DetectorGAN',
    generator_x=dict(type='MaskedResnetGenerator', in_channels=1, base_channels=8,
                     num_blocks=2),
    generator_y=dict(type='MaskedResnetGenerator', in_channels=1, base_channels=8,
                     num_blocks=1))
