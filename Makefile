# Two entry points on a fresh machine with Python 3.11: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEV_ENV := DJANGO_DEBUG=true
PYTEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: run test test-postgres lint install install-dev browsers bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## Set up, load demo data into SQLite and serve on http://127.0.0.1:8000
run: install
	$(DEV_ENV) $(BIN)/python manage.py migrate --no-input
	$(DEV_ENV) $(BIN)/python manage.py seed_demo
	$(DEV_ENV) $(BIN)/python manage.py runserver 127.0.0.1:8000

## Set up and run the whole test suite (SQLite unless DATABASE_URL says otherwise)
test: install-dev
	$(BIN)/pytest $(PYTEST_ARGS)

## The same suite on the local PostgreSQL server
test-postgres: install-dev
	DATABASE_URL=$${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/pumprefill} $(BIN)/pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(DEV_ENV) $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/bandit -q -c pyproject.toml -r config refills billing accounts

## Measure the engine, batch deciding, the export and the queue (rolled back afterwards);
## the figures of record use PostgreSQL: see docs/benchmarks.md
bench: install-dev
	$(DEV_ENV) $(BIN)/python manage.py migrate --no-input
	$(DEV_ENV) $(BIN)/python manage.py bench $(BENCH_ARGS)
