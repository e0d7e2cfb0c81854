# make demo: install, then train super-resolution on the embedded photos (default preset)
# make test: install, then run the test suite (what .ci/run calls)
# A virtual environment .venv is created unless one is already active.
PYTHON ?= python3
VENV ?= .venv
ifdef VIRTUAL_ENV
PY := python
else
PY := $(VENV)/bin/python
endif
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: install demo test test-all lint bench-quality bench-speed

install:
ifndef VIRTUAL_ENV
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
endif
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"

demo: install
	$(PY) -m deeptasks train super_resolution --preset default --workdir runs/demo --force

test: install
	$(PY) -m pytest -q -m "not slow" -n 2 --dist loadfile --durations=30

test-all: install
	$(PY) -m pytest -q

lint: install
	$(PY) -m ruff check . && $(PY) -m ruff format --check .

bench-quality: install
	$(PY) benchmarks/super_resolution/quality.py

bench-speed: install
	$(PY) benchmarks/super_resolution/speed.py
