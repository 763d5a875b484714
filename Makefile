# The two commands of the README: `make demo` and `make test`. Each builds the virtualenv itself.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.runtime
STAMP := $(VENV)/.installed
DEMO_OUT ?= out/demo

.PHONY: demo test lint types pytest fuzz bench sql mutate clean

# The demo needs only the runtime dependencies; the tests add the development tools.
$(RUNTIME): pyproject.toml
	@echo "Installing scp-recommender into $(VENV) (first run only)..."
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $(RUNTIME)

$(STAMP): $(RUNTIME)
	@echo "Installing the development tools into $(VENV) (first run only)..."
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

demo: $(RUNTIME)
	$(BIN)/scp-recommender run --engine local --logs examples/logs \
		--start 2026-11-16 --end 2026-11-23 --policies policies \
		--dry-run --out-dir $(DEMO_OUT)
	@echo
	@echo "Written to $(DEMO_OUT)/:"
	@echo "  pr-body.md     the pull request description the workflow would open"
	@echo "  evidence.md    every row uncut, committed on the branch (equal to pr-body.md while"
	@echo "                 the description fits GitHub's 65,536-character limit, as here)"
	@echo "  changes.diff   the proposed SCP edits; policies/ the edited copy of the folder"
	@echo "  findings.json  every finding; denials.jsonl the denied calls that were read"

test: lint types pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest -q

# Every target in tests/fuzz/ for an equal share of FUZZ_SECONDS (tests/fuzz/conftest.py).
FUZZ_SECONDS ?= 600
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz FUZZ_SECONDS=$(FUZZ_SECONDS) $(BIN)/python -m pytest tests/fuzz -q

bench: $(STAMP)
	$(BIN)/python bench/classify.py
	$(BIN)/python bench/classify_cli.py
	$(BIN)/python bench/scan.py

# The local engine's DuckDB translation of sql/denials.sql (tests/test_sql.py checks it is current).
sql: $(STAMP)
	$(BIN)/python -m recommender.sources.sql > recommender/sources/denials.duckdb.sql

# Mutation testing of the modules that decide answers (docs/testing.md); not part of `make test`.
mutate: $(STAMP)
	rm -rf mutants
	$(BIN)/mutmut run --max-children 2
	$(BIN)/python tests/mutation_score.py

clean:
	rm -rf $(VENV) out mutants .mypy_cache .pytest_cache .ruff_cache
