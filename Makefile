# Factbase: `make run` serves the API and admin on SQLite with the seed; `make test` runs every test.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# `make run` always uses the embedded SQLite database (db.sqlite3 next to manage.py).
RUN_DATABASE_URL ?= sqlite:///$(CURDIR)/db.sqlite3

.PHONY: help venv dev-deps run createsuperuser test test-sqlite test-postgres clean

help:
	@echo "make run    set up .venv, migrate the SQLite database, load the seed, serve on http://$(HOST):$(PORT)/"
	@echo "make test   install the dev requirements and run the tests on SQLite, then on PostgreSQL if DATABASE_URL names one"

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found; set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.requirements: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.requirements-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.requirements

venv: $(VENV)/.requirements

dev-deps: $(VENV)/.requirements-dev

run: venv
	DATABASE_URL=$(RUN_DATABASE_URL) $(BIN)/python manage.py migrate --no-input
	DATABASE_URL=$(RUN_DATABASE_URL) $(BIN)/python manage.py load_seed
	@echo ""
	@echo "Factbase is serving on http://$(HOST):$(PORT)/"
	@echo "  API:    http://$(HOST):$(PORT)/api/v1/"
	@echo "  Docs:   http://$(HOST):$(PORT)/api/v1/docs/  and  http://$(HOST):$(PORT)/api/v1/redoc/"
	@echo "  Admin:  http://$(HOST):$(PORT)/admin/"
	@echo "No account is created for you. Make an admin account (in another terminal) with:"
	@echo "  make createsuperuser"
	@echo ""
	DATABASE_URL=$(RUN_DATABASE_URL) $(BIN)/python manage.py runserver $(HOST):$(PORT)

createsuperuser: venv
	DATABASE_URL=$(RUN_DATABASE_URL) $(BIN)/python manage.py createsuperuser

test: dev-deps
	@$(MAKE) --no-print-directory test-sqlite
	@if [ -n "$$DATABASE_URL" ]; then $(MAKE) --no-print-directory test-postgres; \
	else echo "DATABASE_URL is not set: the PostgreSQL run was not made (only SQLite ran)."; fi

test-sqlite: dev-deps
	@echo "=== Tests on SQLite ==="
	env -u DATABASE_URL $(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: dev-deps
	@test -n "$$DATABASE_URL" || { echo "Set DATABASE_URL to a PostgreSQL database"; exit 1; }
	@echo "=== Tests on PostgreSQL ($$DATABASE_URL) ==="
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
