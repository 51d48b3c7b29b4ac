# Everything starts from nothing: the first target that needs Python builds .venv and installs the project.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install demo test lint typecheck check bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/admission-flow demo

# Both cores: every test makes its own SQLite file or PostgreSQL schema, so the two workers never meet.
# PYTEST_ARGS adds options (e.g. PYTEST_ARGS="-n 0" for one process, or "-k reports").
test: $(STAMP)
	$(BIN)/pytest -n 2 --dist worksteal $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

bench: $(STAMP)
	$(BIN)/python bench/fire.py

clean:
	rm -rf $(VENV) var/demo.db var/demo.db-wal var/demo.db-shm .pytest_cache .mypy_cache .ruff_cache
