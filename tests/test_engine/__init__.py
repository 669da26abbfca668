"""Engine tests; :mod:`tests.test_engine.tiny_cfg` is the tiny DetectorGAN config
shared with the model and tool tests."""
