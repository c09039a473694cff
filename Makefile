# Two entry points on a fresh machine with Python 3.11: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEV_ENV := DJANGO_DEBUG=true
PYTEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: run test test-postgres lint install install-dev browsers bench lock

# Dependencies come from the lock files in requirements/ (exact versions, hashes checked);
# the project itself installs on top of them without resolving anything.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements/runtime.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/runtime.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: requirements/dev.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
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
	$(BIN)/bandit -q -c pyproject.toml -r config refills billing accounts icd10cm
	$(DEV_ENV) $(BIN)/mypy

## Measure the engine, batch deciding, the export and the queue (rolled back afterwards);
## the figures of record use PostgreSQL: see docs/benchmarks.md
bench: install-dev
	$(DEV_ENV) $(BIN)/python manage.py migrate --no-input
	$(DEV_ENV) $(BIN)/python -m tools.bench $(BENCH_ARGS)

## Lock the dependencies again after changing them in pyproject.toml (see the README)
PIP_COMPILE = $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links --no-emit-trusted-host $(LOCK_ARGS)
LOCK_ARGS ?=
lock: install-dev
	$(PIP_COMPILE) -o requirements/runtime.txt pyproject.toml
	$(PIP_COMPILE) --extra dev -c requirements/runtime.txt -o requirements/dev.txt pyproject.toml
	$(PIP_COMPILE) --extra load -c requirements/runtime.txt -o requirements/load.txt pyproject.toml
