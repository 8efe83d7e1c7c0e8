# Everything a newcomer needs, on a machine with only python3 and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Processes `make test` runs the suite in (pytest-xdist); CI machines have two cores.
TEST_WORKERS ?= 2
# Reinstalls when the dependencies (pyproject.toml) or their tested versions (constraints.txt) change.
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: install run dev import lint test lock fuzz bench chaos zoho-setup zoho-token doctor sandbox clean intraday-setup

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

## make run: sandbox + one backfill of the last 7 days through every asset + a summary (NOW=<instant> replays another day)
run: $(STAMP)
	$(BIN)/python -W ignore -m amazon_zoho.cli.run --days $(or $(DAYS),7) $(if $(NOW),--now $(NOW)) $(if $(SANDBOX_PORT),--port $(SANDBOX_PORT))

## make dev: the Dagster UI (http://127.0.0.1:3000, PORT=… for another) with the sandbox beside it (SANDBOX_PORT=…, default 8765)
dev: $(STAMP)
	$(BIN)/python -m amazon_zoho.cli.dev $(if $(PORT),--port $(PORT)) $(if $(SANDBOX_PORT),--sandbox-port $(SANDBOX_PORT))

## make import: load report files downloaded from Seller Central (FILES="a.txt b.txt" or DIR=path; MARKETPLACE=<id> for a
## file that does not name its marketplace), then rebuild core and marts for their days; calls no Amazon API
import: $(STAMP)
	$(BIN)/python -W ignore -m amazon_zoho.cli.import_files $(FILES) $(if $(DIR),--dir $(DIR)) $(if $(MARKETPLACE),--marketplace $(MARKETPLACE))

## make lint: ruff on the Python and sqlfluff on the SQL (both configured in pyproject.toml); fails on any finding
lint: $(STAMP)
	$(BIN)/python -m ruff check amazon_zoho amazon_zoho_tests deploy
	$(BIN)/python -m sqlfluff lint amazon_zoho

# DuckDB 1.0.0 beside the project's own, for the test that the analyst copy opens in the oldest DuckDB it promises
# (ops/analyst_copy.py STORAGE_VERSION); a folder on PYTHONPATH for that test's reader only, never imported by the project.
OLD_DUCKDB := $(VENV)/duckdb-1.0.0/duckdb/__init__.py
$(OLD_DUCKDB): $(STAMP)
	$(BIN)/python -m pip install --quiet --no-deps --target $(VENV)/duckdb-1.0.0 duckdb==1.0.0

## make test: the linters, then the whole test suite
test: lint $(OLD_DUCKDB)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadscope

## make lock: re-resolve pyproject.toml's dependencies in a throwaway virtualenv and pin them in constraints.txt
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --upgrade pip
	.venv-lock/bin/python -m pip install --quiet -e '.[test]'
	{ grep '^#' constraints.txt; .venv-lock/bin/python -m pip freeze --exclude-editable; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
	rm -rf .venv-lock

## make fuzz: the property tests with random inputs and 20x the examples; prints the seed, SEED=n replays a run
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -q amazon_zoho_tests/properties --hypothesis-seed=$(or $(SEED),$(shell od -An -N4 -tu4 /dev/urandom | tr -d ' '))

## make bench: every benchmark against the sandbox, side by side, into BENCHMARKS.md (DAYS="90 365" HEAVY_DAYS=14: the whole-graph windows)
bench: $(STAMP)
	$(BIN)/python -m amazon_zoho.bench $(if $(DAYS),--days $(DAYS)) $(if $(HEAVY_DAYS),--heavy-days $(HEAVY_DAYS))

## make chaos: the fault matrix against the sandbox, into CHAOS.md
chaos: $(STAMP)
	$(BIN)/python -W ignore -m amazon_zoho.bench.chaos

## make zoho-setup: create the custom fields the Zoho sync writes (sandbox when no Zoho credentials), then check
zoho-setup: $(STAMP)
	$(BIN)/python -m amazon_zoho.zoho.setup

## make intraday-setup: the SQS queue and its dead-letter queue (created in the sandbox, checked on AWS), the Notifications
## API destination and the ORDER_CHANGE subscription intraday orders arrive by; idempotent
intraday-setup: $(STAMP)
	$(BIN)/python -W ignore -m amazon_zoho.cli.intraday_setup $(if $(SANDBOX_PORT),--port $(SANDBOX_PORT))

## make doctor: check, without writing anything, everything a real run needs (credentials, roles, scopes, marketplaces,
## Zoho edition, fields, credits) and say what to do about each problem; a side without credentials checks the sandbox
doctor: $(STAMP)
	$(BIN)/python -W ignore -m amazon_zoho.cli.doctor $(if $(ORDERS_PER_DAY),--orders-per-day $(ORDERS_PER_DAY))

## make zoho-token CODE=<grant code>: turn a Zoho Self Client's grant code into ZOHO_REFRESH_TOKEN at ZOHO_DATA_CENTER
zoho-token: $(STAMP)
	$(BIN)/python -m amazon_zoho.cli.zoho_token "$(CODE)"

## make sandbox: only the simulated Amazon and Zoho APIs, on port 8765 (SANDBOX_PORT=… for another)
sandbox: $(STAMP)
	$(BIN)/python -m amazon_zoho.sandbox --port $(or $(SANDBOX_PORT),8765)

clean:
	rm -rf data/*.duckdb data/*.wal data/sandbox data/archive data/sandbox.log .dagster_home
