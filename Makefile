# civicgrid — the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.12
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# PostgreSQL for the second test pass: explicit URL, else a local server if one answers.
PG_URL ?= postgres://postgres@127.0.0.1:5432/civicgrid
# The demo and the dev server run in debug mode; tests and lint use production-like settings.
DEV_ENV := CIVICGRID_DEBUG=1

.PHONY: help uv venv migrate demo serve test test-sqlite test-postgres test-future lint check-migrations ci \
	clean serve-prod worker beat prod-check

help:
	@echo "make demo   — set up, load the demo data and serve on http://$(HOST):$(PORT) with the background worker"
	@echo "make test   — run the whole suite (SQLite, then PostgreSQL when available)"
	@echo "make test-future — the demo tests as if today were 15 months ahead"
	@echo "make lint   — ruff, the project's lint rules, mypy, makemigrations --check"

uv:
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv

venv: uv
	$(UV) sync --frozen --python $(PYTHON)

migrate: venv
	$(DEV_ENV) $(PY) manage.py migrate --no-input

# The web server and the background worker (with its beat) side by side (Procfile); Ctrl-C
# stops both. No broker needed: the worker reads message files under var/celery/.
EMBEDDED := $(DEV_ENV) HOST=$(HOST) $(VENV)/bin/honcho start --procfile Procfile --port $(PORT)

demo: migrate
	$(DEV_ENV) $(PY) manage.py load_demo
	@echo "==> 演示系统 / demo: http://$(HOST):$(PORT)/  (密码 password: demo-civicgrid)"
	$(EMBEDDED)

serve: migrate
	$(EMBEDDED)

# The suite runs on every core (pytest-xdist): PYTEST_WORKERS processes (auto: one per core), each
# with its own test database (test_<name>_gw0, …) and media folder (conftest.py). A module stays
# whole on one worker (--dist loadfile): its class data and module fixtures are built once.
# PYTEST_WORKERS=0 runs in one process, serially; PYTEST_ARGS is appended (paths, -k, -x…).
PYTEST_WORKERS ?= auto
PYTEST := $(VENV)/bin/pytest -p no:cacheprovider -n $(PYTEST_WORKERS) --dist loadfile

test: venv
	@$(MAKE) --no-print-directory test-sqlite
	@if [ -n "$$CIVICGRID_TEST_DATABASE_URL" ] || pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null \
	    || $(PY) -c "import socket; socket.create_connection(('127.0.0.1', 5432), 1)" 2>/dev/null; then \
	  $(MAKE) --no-print-directory test-postgres; \
	else echo "==> PostgreSQL not reachable: skipped the PostgreSQL pass"; fi

# The demo tests (civicgrid/demo: a load_demo each class, the longest of the suite) run twice,
# not three times: on PostgreSQL as of today and on SQLite 15 months ahead (test-future).
# SQLITE_SKIP= runs them in the SQLite pass too.
SQLITE_SKIP ?= --ignore=civicgrid/demo
test-sqlite:
	@echo "==> test suite on SQLite (the demo tests: test-future)"
	env -u CIVICGRID_DATABASE_URL $(PYTEST) $(SQLITE_SKIP) $(PYTEST_ARGS)

test-postgres:
	@echo "==> test suite on PostgreSQL"
	CIVICGRID_DATABASE_URL="$${CIVICGRID_TEST_DATABASE_URL:-$(PG_URL)}" $(PYTEST) -m "not browser" $(PYTEST_ARGS)

# The demo tests as if today were 15 months ahead: a date that moves with time, so the check
# never goes stale, and usually in a year chinesecalendar has no holidays for yet (the Mon–Fri
# fallback). A failure is reproduced with the printed date: make test-future FUTURE_DAY=…
FUTURE_DAY ?= $(shell date -d "+15 months" +%F)
test-future:
	@echo "==> demo tests on SQLite as if today were $(FUTURE_DAY)"
	env -u CIVICGRID_DATABASE_URL CIVICGRID_TEST_TODAY=$(FUTURE_DAY) $(PYTEST) civicgrid/demo $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m civicgrid.testing.lint
	CIVICGRID_INSECURE_DEV_KEY=1 $(VENV)/bin/mypy civicgrid
	CIVICGRID_INSECURE_DEV_KEY=1 $(PY) manage.py makemigrations --check --dry-run

# Production profile: gunicorn + PostgreSQL (pooled) + Celery on RabbitMQ. See docs/operations.md.
PROD_ENV := CIVICGRID_DEBUG=0 CIVICGRID_DB_POOL=$${CIVICGRID_DB_POOL:-1} \
	CIVICGRID_CELERY_BROKER_URL=$${CIVICGRID_CELERY_BROKER_URL:-amqp://guest:guest@127.0.0.1:5672//} \
	CIVICGRID_BIND=$${CIVICGRID_BIND:-$(HOST):$(PORT)}

prod-check:
	@[ -n "$$CIVICGRID_SECRET_KEY" ] || { echo "CIVICGRID_SECRET_KEY must be set"; exit 1; }
	@[ -n "$$CIVICGRID_FIELD_KEYS" ] || { echo "CIVICGRID_FIELD_KEYS must be set (docs/operations.md)"; exit 1; }
	@case "$$CIVICGRID_DATABASE_URL" in postgres*) ;; \
	  *) echo "CIVICGRID_DATABASE_URL must point at PostgreSQL (postgres://…)"; exit 1;; esac

serve-prod: venv prod-check
	$(PROD_ENV) $(PY) manage.py collectstatic --no-input -v0
	$(PROD_ENV) $(PY) manage.py migrate --no-input
	$(PROD_ENV) exec $(VENV)/bin/gunicorn --config deploy/gunicorn.conf.py

# Queues (settings.CELERY_TASK_ROUTES): default (deadlines, housekeeping), notify, bulk
# (imports, exports, reports). One worker for all by default; scale per queue with e.g.
# `make worker QUEUES=bulk CONCURRENCY=2` on another machine (docs/operations.md).
QUEUES ?= default,notify,bulk
CONCURRENCY ?=
worker: venv prod-check
	$(PROD_ENV) exec $(VENV)/bin/celery -A civicgrid worker --loglevel INFO \
	  --queues "$$(echo '$(QUEUES)' | sed "s/[^,][^,]*/$${CIVICGRID_CELERY_QUEUE_PREFIX}&/g")" \
	  $(if $(CONCURRENCY),--concurrency $(CONCURRENCY))

beat: venv prod-check
	@mkdir -p var
	$(PROD_ENV) exec $(VENV)/bin/celery -A civicgrid beat --loglevel INFO --schedule var/celerybeat-schedule

ci: test lint

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

# Benchmarks against baselines measured in the same run; sizes: BENCH_ARGS="--points 1000000 --rows 100000".
.PHONY: bench
bench: venv
	$(PY) -m benchmarks.run $(BENCH_ARGS)
