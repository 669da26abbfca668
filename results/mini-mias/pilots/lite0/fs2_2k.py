# Pilot: aug256_2k.py with the stem and the first two stages frozen (strides 2
# and 4: most of the backbone's pixels, little of its semantics), so that 2000
# iterations fit in the 15-minute budget of a detector on one core.
_base_ = './aug256_2k.py'
model = dict(backbone=dict(frozen_stages=2))
