"""The mmdgan test suite; a package, so that test folders share helpers by import
(``from tests.test_engine.tiny_cfg import ...``) rather than through ``sys.path``."""
