# Factbase: `make run` serves the API and admin on SQLite with the seed; `make test` runs every test.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# `make run` always uses the embedded SQLite database (db.sqlite3 next to manage.py).
RUN_DATABASE_URL ?= sqlite:///$(CURDIR)/db.sqlite3

.PHONY: help venv dev-deps docs-deps docs docs-serve run createsuperuser test test-sqlite test-postgres clean bench bench-import bench-extract

help:
	@echo "make run    set up .venv, migrate the SQLite database, load the seed, serve on http://$(HOST):$(PORT)/"
	@echo "make test   install the dev requirements and run the tests on SQLite, then on PostgreSQL if DATABASE_URL names one"
	@echo "make serve  the production configuration under gunicorn: migrate, collectstatic, serve on http://$(HOST):$(PORT)/"
	@echo "make docs   build the documentation site (docs/, mkdocs.yml) into site/; make docs-serve serves it on http://$(HOST):$(DOCS_PORT)/"
	@echo "make bench         1,000,000 claims in PostgreSQL, the API under load (bench/README.md)"
	@echo "make bench-import  export those claims, import them into an empty database, export again (bench/README.md)"
	@echo "make bench-extract POLNEAR=/path/to/PolNeAR  score the attribution extractor on PolNeAR's dev split (bench/README.md)"

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found; set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.requirements: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.requirements-dev: requirements.txt requirements-dev.txt requirements-docs.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.requirements $(VENV)/.requirements-docs

# The documentation site alone (requirements-dev.txt includes it): with the runtime pins, which it shares.
$(VENV)/.requirements-docs: requirements.txt requirements-docs.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt -r requirements-docs.txt
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

# --- `make serve`: the production configuration, locally, under gunicorn (deploy/) -------------------
# DATABASE_URL when set, else the SQLite database of `make run`. Migrations and collectstatic run first
# (deploy/entrypoint.sh), then gunicorn (deploy/gunicorn.conf.py: workers from the CPU count, timeouts,
# JSON access log). Plain HTTP on this machine: the HTTPS redirect and secure cookies are off unless
# the environment turns them on. A random secret key unless DJANGO_SECRET_KEY is set.
SERVE_DATABASE_URL ?= $(if $(DATABASE_URL),$(DATABASE_URL),$(RUN_DATABASE_URL))
SERVE_SECRET_KEY := $(if $(DJANGO_SECRET_KEY),$(DJANGO_SECRET_KEY),$(shell python3 -c 'import secrets; print(secrets.token_urlsafe(50))' 2>/dev/null))

.PHONY: serve docker-lint

# Passed in the environment (not on the command line, where `ps` would show the key).
serve: export DATABASE_URL := $(SERVE_DATABASE_URL)
serve: export DJANGO_DEBUG = 0
serve: export DJANGO_SECRET_KEY := $(SERVE_SECRET_KEY)
serve: export DJANGO_ALLOWED_HOSTS ?= $(HOST),127.0.0.1,localhost
serve: export DJANGO_SECURE_SSL_REDIRECT ?= 0
serve: export DJANGO_SECURE_COOKIES ?= 0
serve: export DJANGO_CONN_MAX_AGE ?= 60
serve: export DJANGO_COLLECTSTATIC = 1
serve: export GUNICORN_BIND := $(HOST):$(PORT)
serve: export PYTHON := $(CURDIR)/$(BIN)/python
serve: venv
	@echo "Factbase (production settings, gunicorn) on http://$(HOST):$(PORT)/  health: http://$(HOST):$(PORT)/healthz"
	deploy/entrypoint.sh

# Lints the Dockerfile (the tests do too): hadolint from requirements-dev.txt.
docker-lint: dev-deps
	$(BIN)/hadolint --failure-threshold style Dockerfile

test: dev-deps
	@test -x "$${FACTBASE_CHROMIUM:-/usr/bin/chromium}" || echo "Chromium not installed at $${FACTBASE_CHROMIUM:-/usr/bin/chromium}: browser tests skipped (apt-get install -y chromium to run them)"
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
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache site

# --- `make docs`: the documentation site (docs/, mkdocs.yml) built into site/ --------------------------
# --strict: a broken link, anchor or image, or a page missing from the nav, fails the build. The build
# reaches no network, and the site loads nothing from elsewhere (tests/docs/test_site.py checks both).
# NO_MKDOCS_2_WARNING: Material's notice about its end of life (May 2027) is not printed on every build.
DOCS_PORT ?= 8001
DOCS_ENV = NO_MKDOCS_2_WARNING=1

docs: docs-deps
	$(DOCS_ENV) $(BIN)/mkdocs build --strict --site-dir site
	@echo "The documentation is in site/: open site/index.html, or make docs-serve"

docs-serve: docs-deps
	$(DOCS_ENV) $(BIN)/mkdocs serve --strict --dev-addr $(HOST):$(DOCS_PORT)

docs-deps: $(VENV)/.requirements-docs

# --- `make bench`: 1,000,000 claims in PostgreSQL, the API under gunicorn, wrk and pgbench (bench/README.md) ---
# `make bench BENCH_CLAIMS=20000` measures a small dataset (in its own database) for a quick run.
BENCH_CLAIMS ?= 1000000
BENCH_SEED ?= 1
# Empty: the database factbase_bench (factbase_bench_<N> for another size) on DATABASE_URL's server, else on
# postgres@127.0.0.1:5432 (bench/run.py); never DATABASE_URL's own database.
BENCH_DATABASE_URL ?=
BENCH_CONNECTIONS ?= 32
BENCH_THREADS ?= 2
BENCH_DURATION ?= 15
BENCH_WARMUP ?= 5
BENCH_WORKERS ?= 2
BENCH_WORKER_CLASS ?= sync
BENCH_GUNICORN_THREADS ?= 1
BENCH_ONLY ?=
BENCH_PROFILE ?= 0
BENCH_RELOAD ?= 0
BENCH_QUIET_WAIT ?= 30
BENCH_SERVER_SIDE_BINDING ?= 1
BENCH_KEEP ?= 0
# The peers of a) to d) (bench/peers.py): Datasette and the floor, each in turn with Factbase, BENCH_ROUNDS times.
BENCH_PEERS ?=
BENCH_ROUNDS ?= 1
BENCH_KEEPALIVE ?= 1
BENCH_COMPARE_WORKER_CLASSES ?=
BENCH_ENV = BENCH_CLAIMS=$(BENCH_CLAIMS) BENCH_SEED=$(BENCH_SEED) BENCH_DATABASE_URL="$(BENCH_DATABASE_URL)" \
	BENCH_CONNECTIONS=$(BENCH_CONNECTIONS) BENCH_THREADS=$(BENCH_THREADS) BENCH_DURATION=$(BENCH_DURATION) \
	BENCH_WARMUP=$(BENCH_WARMUP) BENCH_WORKERS=$(BENCH_WORKERS) BENCH_WORKER_CLASS=$(BENCH_WORKER_CLASS) \
	BENCH_GUNICORN_THREADS=$(BENCH_GUNICORN_THREADS) BENCH_ONLY="$(BENCH_ONLY)" BENCH_PROFILE=$(BENCH_PROFILE) \
	BENCH_RELOAD=$(BENCH_RELOAD) BENCH_QUIET_WAIT=$(BENCH_QUIET_WAIT) BENCH_SERVER_SIDE_BINDING=$(BENCH_SERVER_SIDE_BINDING) \
	BENCH_PEERS="$(BENCH_PEERS)" BENCH_ROUNDS=$(BENCH_ROUNDS) BENCH_KEEPALIVE=$(BENCH_KEEPALIVE) \
	BENCH_COMPARE_WORKER_CLASSES="$(BENCH_COMPARE_WORKER_CLASSES)"

$(VENV)/.requirements-bench: requirements.txt requirements-bench.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-bench.txt
	@touch $@ $(VENV)/.requirements

bench: $(VENV)/.requirements-bench
	$(BENCH_ENV) $(BIN)/python bench/run.py

# Export the benchmark's claims, import them into an empty database, export again (bench/import_export.py).
bench-import: $(VENV)/.requirements-bench
	$(BENCH_ENV) BENCH_KEEP=$(BENCH_KEEP) $(BIN)/python bench/import_export.py

# --- `make bench-extract`: the attribution extractor (factbase/attribution) scored on PolNeAR ---------
# The corpus is not in the repository: git clone https://github.com/networkdynamics/PolNeAR and pass its
# folder (POLNEAR=... or the environment's POLNEAR_DIR). Dev is the headline; BENCH_EXTRACT_SPLIT=train
# while tuning. Never the test split.
POLNEAR ?= $(POLNEAR_DIR)
BENCH_EXTRACT_SPLIT ?= dev
bench-extract: venv
	@test -n "$(POLNEAR)" || { echo "make bench-extract needs PolNeAR's folder: make bench-extract POLNEAR=/path/to/PolNeAR (or set POLNEAR_DIR); git clone https://github.com/networkdynamics/PolNeAR"; exit 2; }
	@test -d "$(POLNEAR)" || { echo "PolNeAR folder $(POLNEAR) does not exist (make bench-extract POLNEAR=/path/to/PolNeAR)"; exit 2; }
	$(BIN)/python bench/extract.py "$(POLNEAR)" --split $(BENCH_EXTRACT_SPLIT)
