# Quick start: `make run` serves the demo, `make test` runs every check.
# Without DATABASE_URL both use the embedded PostgreSQL under var/pg.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
WITH_DB := $(PY) -m eschool.embedded_db exec --

.PHONY: run test lint typecheck pytest browser-deps seed emulator db-stop clean

$(INSTALLED): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $(INSTALLED)

run: $(INSTALLED)
	$(WITH_DB) $(PY) -m eschool.devserver

test: $(INSTALLED) browser-deps lint
	$(WITH_DB) sh -c '$(PY) -m mypy . && $(PY) -m pytest $(PYTEST_ARGS)'

lint: $(INSTALLED)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# Browser tests drive Debian's Chromium; Playwright's own browser download
# is not used.
browser-deps:
	@test -x /usr/bin/chromium || { \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -q && apt-get install -y -q chromium; \
		else \
			echo "Chromium is missing: install the Debian package 'chromium'"; \
			exit 1; \
		fi; }

seed: $(INSTALLED)
	$(WITH_DB) $(PY) manage.py seed_demo

db-stop: $(INSTALLED)
	$(PY) -m eschool.embedded_db stop

clean: db-stop
	rm -rf var

# The diary load benchmark (not part of `make test`): a region-sized data set
# in a separate database, gunicorn on 127.0.0.1 and timed requests. Options:
# BENCH_ARGS="--schools 50 --pupils 25000 --port 8500". Results: docs/benchmarks.md.
.PHONY: bench
bench: $(INSTALLED)
	$(WITH_DB) $(PY) -m diary.bench $(BENCH_ARGS)

# A streaming read replica of the DATABASE_URL server for trying the router
# (DATABASE_REPLICA_URL) on one machine. Options: REPLICA_ARGS="--port 5441
# --dir var/pg-replica". See docs/deployment.md.
.PHONY: replica-start replica-stop
replica-start: $(INSTALLED)
	$(PY) -m eschool.replica start --primary-url "$$DATABASE_URL" $(REPLICA_ARGS)

replica-stop: $(INSTALLED)
	$(PY) -m eschool.replica stop $(REPLICA_ARGS)

# The Monday-morning load test and the fault runs (not part of `make test`):
# locust against gunicorn, Redis and nginx on 127.0.0.1, on a copy of the
# benchmark data set in its own PostgreSQL. Options: LOAD_ARGS="--users
# 100,300,500 --duration 60s --app-servers 2 --replica", FAULT_ARGS="--users
# 100". Results: docs/benchmarks.md.
.PHONY: load faults
load: $(INSTALLED)
	$(VENV)/bin/pip install --quiet -r requirements-load.txt
	$(WITH_DB) $(PY) -m eschool.load run $(LOAD_ARGS)

faults: $(INSTALLED)
	$(VENV)/bin/pip install --quiet -r requirements-load.txt
	$(WITH_DB) $(PY) -m eschool.load faults $(FAULT_ARGS)
