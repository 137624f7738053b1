# VRM vault: `make run` serves the app with demo data, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
NODE_STAMP := node_modules/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test setup bench bench-scale lint faults audit screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# axe-core, for the accessibility scans of the browser tests
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $(NODE_STAMP)

## setup: install, migrate the embedded database, create a development key ring, load demo data once
setup: $(STAMP)
	$(BIN)/vrm db upgrade
	$(BIN)/vrm keys init --if-missing
	$(BIN)/vrm demo

## run: serve on http://$(HOST):$(PORT)
run: setup
	$(BIN)/vrm serve --host $(HOST) --port $(PORT)

## test: the whole suite (on PostgreSQL too when VRM_TEST_DATABASE_URL is set), then lint and types
test: setup $(NODE_STAMP)
	$(BIN)/pytest
	$(BIN)/ruff check vrm web tests bench migrations
	$(BIN)/mypy
	$(MAKE) --no-print-directory audit

## audit: static security checks (bandit) and known vulnerabilities in the dependencies (pip-audit)
audit: $(STAMP)
	$(BIN)/bandit --quiet --configfile pyproject.toml --recursive vrm web 2>/dev/null || $(BIN)/bandit --quiet --configfile pyproject.toml --recursive vrm web
	bash .ci/pip-audit

## screenshots: walk the web pages in Chromium and refresh the README's screenshots under docs/screenshots
screenshots: setup $(NODE_STAMP)
	VRM_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/pytest tests/web -k "browser or walk"

## faults: the fault drills alone (killed workers, database restarts, failing webhook receivers, failover)
faults: setup
	$(BIN)/pytest tests/faults

## bench: benchmarks, each printed as a ratio against a baseline measured in the same run
bench: $(STAMP)
	@command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null 2>&1 || echo "wrk is not installable here: the API load benchmark will say it skipped"
	$(BIN)/python -m bench

## bench-scale: grow a PostgreSQL population to 10k, 100k and 1M customers; latency and query plans at each (about an hour)
bench-scale: $(STAMP)
	$(BIN)/python -m bench.scale

clean:
	rm -rf $(VENV) node_modules instance .pytest_cache .mypy_cache .ruff_cache .hypothesis
