VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST := $(VENV)/bin/pytest

.PHONY: install run test test-unit test-fast lint fmt bench clean browser

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

run: install
	mkdir -p var
	$(VENV)/bin/leadstate serve

# Everything: unit, integration on SQLite and PostgreSQL (when reachable), server
# processes, the CLI and the browser; the slowest tests printed at the end.
test: install browser
	$(PYTEST) -q -n 2 --durations=15 tests/unit tests/integration tests/e2e

# No I/O: the domain, the request parsers, the shape of the code (seconds).
test-unit: install
	$(PYTEST) -q tests/unit

# No server process, no PostgreSQL: unit and the in-process suites on SQLite.
test-fast: install
	$(PYTEST) -q -n 2 -m "not postgres and not slow" tests/unit tests/integration

# The browser tests drive Debian's chromium; install it when missing and we may.
browser:
	@command -v chromium >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

lint: install
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/ruff format --check src tests
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

fmt: install
	$(VENV)/bin/ruff format src tests
	$(VENV)/bin/ruff check --fix src tests

# The speed figures (tests/bench): LEADSTATE_BENCH_PG names the PostgreSQL to use.
bench: install
	$(PY) -m tests.bench

clean:
	rm -rf $(VENV) var
