# V2G Settlement: the commands a newcomer and CI use. Every target installs what it needs.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install run test test-postgres check lint format typecheck layers migrations-check \
        worker beat bench browser-deps clean fake-stripe chaos mutation fuzz oadr-client \
        simulate demo-reset

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when a requirements file changes.
$(STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

# The demo: SQLite under var/, tasks run in-process, no Stripe keys.
# Links in emails (invitations) point at the address served, unless SITE_URL says otherwise.
RUN_SITE_URL = $${SITE_URL:-http://$(HOST):$(PORT)}

# One process migrates, seeds and serves (no code reloader: `manage.py runserver` has one).
run: install
	SITE_URL=$(RUN_SITE_URL) DEBUG=1 $(BIN)/python manage.py run_demo $(HOST):$(PORT)

# The demo from a fresh database (the README's walkthroughs in the order they are written).
# Only the demo's own SQLite file is removed; with DATABASE_URL set it refuses.
demo-reset: install
	@if [ -n "$$DATABASE_URL" ]; then echo "demo-reset removes only the demo's SQLite file; unset DATABASE_URL"; exit 2; fi
	rm -f var/v2g.sqlite3
	$(MAKE) run HOST=$(HOST) PORT=$(PORT)

# Real headless Chromium for the browser tests, from Debian's packages when missing.
browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "chromium could not be installed; browser tests will be skipped"; \
	  else echo "chromium missing and not root; browser tests will be skipped"; fi; \
	fi

# ElaadNL's openadr3-client (Python 3.12, from pyenv) in its own environment, for the test
# that drives the OpenADR VTN with it (tests/integration/openadr). Without that Python the
# test skips, unless OPENADR_CLIENT_REQUIRED=1 (CI) makes it fail.
OADR_PYTHON ?= /root/.pyenv/versions/3.12.1/bin/python
OADR_VENV := .venv-oadr
OADR_CLIENT_VERSION := 2.4.2
$(OADR_VENV)/.installed:
	@if [ -x "$(OADR_PYTHON)" ]; then \
	  $(OADR_PYTHON) -m venv $(OADR_VENV) && \
	  $(OADR_VENV)/bin/pip install --quiet openadr3-client==$(OADR_CLIENT_VERSION) paho-mqtt==2.2.0 && \
	  touch $(OADR_VENV)/.installed; \
	else echo "warning: $(OADR_PYTHON) missing; the openadr3-client test will be skipped"; fi

oadr-client: $(OADR_VENV)/.installed

test: install browser-deps oadr-client
	$(BIN)/pytest $(PYTEST_ARGS)

check: install lint typecheck layers migrations-check

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck:
	$(BIN)/mypy .

layers:
	$(BIN)/lint-imports

migrations-check:
	$(BIN)/python manage.py makemigrations --check --dry-run

worker: install
	$(BIN)/celery -A config worker --loglevel=INFO -Q default,ingest,settlement,payouts

beat: install
	$(BIN)/celery -A config beat --loglevel=INFO

# The benchmarks' own peers (NREL PySAM), installed for `make bench` only, never by `make install`.
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): bench/requirements.txt | $(STAMP)
	$(BIN)/pip install --quiet -r bench/requirements.txt
	touch $(BENCH_STAMP)

bench: install $(BENCH_STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) $(OADR_VENV) var .mypy_cache .ruff_cache

# A local fake of Stripe Connect for the demo: run it, then `make run` with the variables it
# prints (tests/fakes/stripe_server.py; the webhook goes to the demo server on $(PORT)).
FAKE_STRIPE_PORT ?= 12111
fake-stripe: install
	@# The hint names the port the webhooks below are sent to, so the two agree.
	@echo "In another shell: STRIPE_SECRET_KEY=sk_test_local STRIPE_WEBHOOK_SECRET=whsec_local STRIPE_API_BASE=http://127.0.0.1:$(FAKE_STRIPE_PORT) make run HOST=$(HOST) PORT=$(PORT)"
	$(BIN)/python -m tests.fakes.stripe_server --port $(FAKE_STRIPE_PORT) \
	  --webhook-url http://$(HOST):$(PORT)/api/v1/stripe/webhooks/ --webhook-secret whsec_local

# 1,000 payouts under random faults with a real worker that gets killed mid-transfer; needs
# PostgreSQL and Redis (DATABASE_URL, DATABASE_TEST_NAME, REDIS_URL as in docs/operations.md).
CHAOS_PAYOUTS ?= 1000
chaos: install
	CHAOS_WORKER=1 CHAOS_PAYOUTS=$(CHAOS_PAYOUTS) $(BIN)/pytest tests/functional/payouts/test_chaos.py \
	  -k real_worker -s -q --timeout=0

# Schemathesis against the live API schema as an owner, a staff member and an aggregator;
# needs PostgreSQL (DATABASE_URL, DATABASE_TEST_NAME; docs/testing.md).
fuzz: install
	$(BIN)/pytest tests/functional/test_api_schema_fuzz.py -m fuzz -s -q

# Mutation testing of the rating core and VEE against their unit tests ([tool.mutmut] in
# pyproject.toml); prints the score per module and in all, and lists the survivors.
mutation: install
	rm -rf mutants
	RATING_MAX_EXAMPLES=10 $(BIN)/mutmut run --max-children 2 > /dev/null
	$(BIN)/mutmut results --all true | $(BIN)/python bench/mutation_score.py

# The money lifecycle simulation (tests/functional/payouts/test_money_simulation.py) for
# longer than CI runs it: seeded, so a failure replays; prints steps, sequences, seconds.
SIMULATION_EXAMPLES ?= 200
SIMULATION_STEPS ?= 50
simulate: install
	SIMULATION_EXAMPLES=$(SIMULATION_EXAMPLES) SIMULATION_STEPS=$(SIMULATION_STEPS) \
	  $(BIN)/pytest tests/functional/payouts/test_money_simulation.py -s -q -p no:logging \
	  --timeout=0
