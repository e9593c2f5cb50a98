# podpac-exec: `make demo` runs the main job, `make test` the whole suite. Both bootstrap .venv
# with the pinned versions in constraints.txt on a fresh machine (Python, pip, make and git only).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=
DEMO_ARGS ?=

.PHONY: install test demo bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -n 2 --dist loadfile -q $(PYTEST_ARGS)

demo: $(STAMP)
	$(PY) examples/demo.py $(DEMO_ARGS)

bench: $(STAMP)
	$(PY) -m benchmarks

clean:
	rm -rf build .pytest_cache
