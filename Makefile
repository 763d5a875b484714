# The two commands of the README: `make demo` and `make test`. Each builds the virtualenv itself.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_OUT ?= out/demo

.PHONY: demo test lint types pytest bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/scp-recommender run --engine local --logs examples/logs \
		--start 2026-11-16 --end 2026-11-23 --policies policies \
		--dry-run --out-dir $(DEMO_OUT)
	@echo
	@echo "The pull request description the workflow would open: $(DEMO_OUT)/pr-body.md"

test: lint types pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/classify.py
	$(BIN)/python bench/scan.py

clean:
	rm -rf $(VENV) out .mypy_cache .pytest_cache .ruff_cache
