# The two commands: `make run` and `make test`. Each builds .venv from the pinned
# requirements when it is missing or stale, then does its job.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000
STAGE ?= prod
PYTEST_WORKERS ?= 2

.PHONY: web-vendor run test test-shuffled lint typecheck unit fuzz bench synth deploy clean system-deps

$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || PYTHON=python3; \
	 test -x $(PY) || $${PYTHON:-python3} -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install -q "pip>=24,<26.3"  # chalice needs pip<26.3
	$(PY) -m pip install -q -r requirements-dev.txt
	@touch $(STAMP)

venv: $(STAMP)

# OS packages the project needs (CJK font, Chromium for browser tests); idempotent.
system-deps:
	@bash devtools/system_deps.sh

# Front-end libraries (web/vendor.json) from the npm registry into web/vendor/; idempotent.
web-vendor: $(STAMP)
	@$(PY) -m devtools.vendor_web

run: $(STAMP) system-deps web-vendor
	PORT=$(PORT) $(PY) -m devtools.run

lint: $(STAMP)
	$(PY) -m ruff check app.py chalicelib devtools tests bench
	$(VENV)/bin/lint-imports --no-cache  # architecture contracts: .importlinter (a stale cache misreports)

typecheck: $(STAMP)
	$(PY) -m mypy app.py chalicelib

test: $(STAMP) system-deps web-vendor lint typecheck
	$(PY) -m pytest -n $(PYTEST_WORKERS) -q -p no:randomly --maxfail=50 tests

# The same suite in a random order (pytest-randomly; SEED=... repeats an order): proves no
# test depends on another having run first.
test-shuffled: $(STAMP) system-deps web-vendor
	$(PY) -m pytest -n $(PYTEST_WORKERS) -q -p randomly $(if $(SEED),--randomly-seed=$(SEED)) tests

fuzz: $(STAMP)
	FUZZ_MAX_EXAMPLES=500 $(PY) -m pytest -q -p no:randomly tests -m fuzz

bench: $(STAMP) system-deps web-vendor
	@bash devtools/system_deps.sh system-packages-bench.txt
	$(PY) -m bench

synth: $(STAMP)
	cd infra && $(MAKE) synth

deploy: $(STAMP)
	cd infra && $(MAKE) deploy STAGE=$(STAGE)

clean:
	rm -rf $(VENV) .dev .pytest_cache .mypy_cache .ruff_cache
