# podpac-exec: `make demo` runs the main job, `make test` the whole suite. Both bootstrap .venv
# with the pinned versions in constraints.txt on a fresh machine (Python, pip, make and git only).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=
DEMO_ARGS ?=

.PHONY: install test demo bench clean podpac-venv

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

# PODPAC 4.0.5 in its own Python 3.12 venv (benchmarks/vs_podpac.py and the reference generators
# under tests/data/podpac_reference/ run in it; podpac-exec never imports it). Versions as in
# tests/data/podpac_reference/names.json["environment"].
PODPAC_PYTHON ?= $(lastword $(sort $(wildcard $(HOME)/.pyenv/versions/3.12.*/bin/python3.12)))
PODPAC_VENV   := build/podpac-venv
PODPAC_STAMP  := $(PODPAC_VENV)/.installed
PODPAC_PKGS   := podpac==4.0.5 numpy==2.5.5 scipy==1.18.1 xarray==2026.9.0 pandas==3.1.1 numexpr==2.14.2 \
                 rasterio==1.5.2 zarr h5py pyproj

$(PODPAC_STAMP):
	@test -n "$(PODPAC_PYTHON)" || { echo "podpac-venv needs Python 3.12 (set PODPAC_PYTHON=/path/to/python3.12)" >&2; exit 1; }
	$(PODPAC_PYTHON) -m venv $(PODPAC_VENV)
	$(PODPAC_VENV)/bin/python -m pip install --quiet --disable-pip-version-check $(PODPAC_PKGS)
	touch $(PODPAC_STAMP)

podpac-venv: $(PODPAC_STAMP)

clean:
	rm -rf build .pytest_cache
