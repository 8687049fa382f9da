# `make demo` and `make test` each set up .venv on first use: one command on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
BENCH_STAMP := $(VENV)/.bench-stamp

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/planetrss demo

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check planetrss tests
	$(BIN)/ruff format --check planetrss tests
	$(BIN)/mypy

# The benchmark runs Scrapy beside planetrss: the bench extra, installed on first use.
$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,bench]'
	touch $(BENCH_STAMP)

# About 8 minutes on 2 cores; `make bench BENCH_ARGS=--quick`: a one-minute smoke run.
# Bytecode first, as `pip install` leaves it: with PYTHONDONTWRITEBYTECODE set (as on
# our CI machines) every process of a build would compile planetrss anew (~0.1 s each).
bench: $(BENCH_STAMP)
	$(BIN)/python -m compileall -q planetrss tests/bench
	$(BIN)/python -m tests.bench $(BENCH_ARGS)

# What `make` and the tools made here; never the feeds you built (feeds/*.xml) or the cache.
clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
