# The fine-tuning schedule of ./sgd_1000it.py shortened to 300 iterations (the
# quick demo comparison), its warm-up to 20 iterations.
_base_ = './sgd_1000it.py'

max_iters = 300
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
warmup, cosine = _base_.param_scheduler
param_scheduler = [dict(warmup, end=20),
                   dict(cosine, begin=20, end=max_iters, T_max=max_iters - 20)]
del warmup, cosine
