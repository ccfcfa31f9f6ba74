# EduRSFT: `make demo` runs the product on embedded defaults; `make test` runs the test suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PYTEST := $(VENV)/bin/pytest
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
# Defaults for tests against real services (overridable from the environment).
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/edursft
REDIS_TEST_URL ?= redis://127.0.0.1:6379/0

.PHONY: venv browser demo test test-sqlite test-postgres lint bench clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements.txt
	touch $@

venv: $(VENV)/.installed

# Debian's Chromium for the browser tests (never a downloaded browser).
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) \
	  || echo "Chromium not installed: browser tests will be skipped"; }

demo: venv
	bash scripts/demo.sh

test: venv browser
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

# Everything except the tests that need a real worker on Redis and PostgreSQL.
test-sqlite: venv
	bash scripts/pytest.sh -m "not integration"

# The database-facing tests again on PostgreSQL, plus the integration tests (real worker on Redis).
test-postgres: venv
	bash scripts/ensure_services.sh
	DATABASE_URL=$(PG_TEST_URL) EDURSFT_TEST_BROKER_URL=$(REDIS_TEST_URL) \
	  bash scripts/pytest.sh tests/web tests/integration $(wildcard tests/reliability) -m "not browser"

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf var/broker var/test.sqlite3 test-artifacts
