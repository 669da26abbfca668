# demo_unpaired.py at batch 2, loaded in the main process: the CPU demos.
_base_ = './demo_unpaired.py'
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False)
val_dataloader = dict(batch_size=2)
test_dataloader = dict(batch_size=2)
