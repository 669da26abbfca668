# The two entry points of the README: `make demo` and `make test`.
PY := .venv/bin/python

.PHONY: install demo test lint pytest

install:
	bash tools/install.sh

demo: install
	bash tools/demo.sh

lint: install
	$(PY) -m ruff check .

pytest: install
	$(PY) -m pytest tests

test: install
	$(PY) -m ruff check .
	$(PY) -m pytest tests
