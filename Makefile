# Two commands do all set-up on a fresh machine with Python 3.11:
#   make run    create .venv, install, run the pipeline (dvc repro)
#   make test   create .venv, install, lint and run the tests
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Where an NVIDIA driver answers, the CUDA build of the same TensorFlow (requirements-gpu.txt).
REQUIREMENTS ?= $(shell nvidia-smi -L >/dev/null 2>&1 && echo requirements-gpu.txt || echo requirements.txt)
# Test processes (pytest-xdist), each taking whole files so that a module's fixtures run once.
TEST_WORKERS ?= 2

.PHONY: run test lint bench
run: $(VENV)/.installed
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/dvc repro

test: $(VENV)/.installed
	$(BIN)/ruff check .
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

bench: $(VENV)/.installed
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python benchmarks/bench_phantom.py

$(VENV)/.installed: requirements.txt requirements-gpu.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r $(REQUIREMENTS)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@
