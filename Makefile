# Pulsebill: `make run` serves the demo on SQLite, `make test` runs every check.
# Both create the virtual environment (.venv) from pyproject.toml + constraints.txt first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint typecheck test-python schema lock bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is required")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)  ## migrate the SQLite database, load the demo data, serve GraphQL on :8000
	$(BIN)/pulsebill migrate
	$(BIN)/pulsebill demo
	$(BIN)/pulsebill serve --dev

test: lint typecheck test-python  ## everything CI runs

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

test-python: $(STAMP)
	$(BIN)/python -m api.graphql.sdl --check
	$(BIN)/pytest

schema: $(STAMP)  ## rewrite schema.graphql from the code
	$(BIN)/python -m api.graphql.sdl

lock: $(STAMP)  ## refresh constraints.txt from the current environment
	$(BIN)/python -m pip freeze --exclude-editable --exclude pulsebill > constraints.txt

bench: $(STAMP)
	$(BIN)/python bench/bench_ratelang.py
	$(BIN)/python bench/bench_ledger.py
	$(BIN)/python bench/bench_api.py
	$(BIN)/python bench/bench_reports.py
	$(BIN)/python bench/bench_importers.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis
