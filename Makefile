# Build, test and tooling entry points. GNU make; recipes are TAB-indented.
#
#   make test    venv + lint + whole suite + unit suite on other Pythons + template checks
#   make lint    ruff check, ruff format --check, mypy --strict
#   make demo    run the sample authorizers locally
#   make bench   run benchmarks/bench_*.py (never part of make test)
#   make fuzz    property tests with the long Hypothesis profile
#   make clean   remove every generated file and tool install
#
# Everything a fresh clone needs (pip packages, the npm oidc-provider) is installed by the
# targets themselves, into git-ignored folders. Variables: PYTHON (interpreter for .venv,
# 3.11+), PYTEST_ARGS (extra pytest arguments).

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
TOOLS_DIR ?= .tools
PYTEST_ARGS ?=
STEP := STEP_TIMINGS=$(TOOLS_DIR)/step-timings.txt .ci/step.sh
PIP_INSTALL := -m pip install --quiet --disable-pip-version-check
# Written by tests/servers/oidc_provider.py, which also installs lazily for a bare `pytest`.
OIDC_PROVIDER_STAMP := .tools/oidc-provider/.installed

export VENV PYTEST_ARGS

.PHONY: help venv node-tools test lint demo bench fuzz clean

help:
	@sed -n 's/^#   //p' $(firstword $(MAKEFILE_LIST))

# The venv is rebuilt only when pyproject.toml changed (or the venv is gone): the stamp records
# the last successful install.
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "$(PYTHON) is older than 3.11: run make PYTHON=python3.X" >&2; exit 1; }
	@[[ -x $(VENV)/bin/python ]] || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python $(PIP_INSTALL) -e '.[dev]'
	@touch $@

venv: $(VENV)/.installed

$(OIDC_PROVIDER_STAMP): tests/servers/package.json tests/servers/package-lock.json | $(VENV)/.installed
	cd tests && $(abspath $(VENV))/bin/python -m servers.oidc_provider

node-tools: $(OIDC_PROVIDER_STAMP)

test:
	@$(STEP) --start
	@$(STEP) venv $(MAKE) --no-print-directory venv
	@$(STEP) node-tools $(MAKE) --no-print-directory node-tools
	@$(STEP) lint $(MAKE) --no-print-directory lint
	@$(STEP) pytest $(VENV)/bin/python -m pytest $(PYTEST_ARGS)
	@$(STEP) other-pythons .ci/other-pythons.sh
	@$(if $(HAS_CHECK_TEMPLATE),$(STEP) check-template $(MAKE) --no-print-directory check-template,echo "check-template: skipped (no mk/*.mk defines it)")
	@$(STEP) --report

# All three run even if one fails, so one pass shows every problem.
lint: venv
	@status=0; \
	echo "ruff check ."; $(VENV)/bin/ruff check . || status=1; \
	echo "ruff format --check ."; $(VENV)/bin/ruff format --check . || status=1; \
	echo "mypy --strict"; $(VENV)/bin/mypy --strict || status=1; \
	exit $$status

demo: venv
	$(VENV)/bin/python -m authorizers.demo

bench: venv
	@shopt -s nullglob; benches=(benchmarks/bench_*.py); \
	(( $${#benches[@]} )) || { echo "no benchmarks/bench_*.py yet"; exit 0; }; \
	for bench in "$${benches[@]}"; do echo "==> $$bench"; $(VENV)/bin/python "$$bench"; done

# "fuzz" (see tests/conftest.py) runs 10,000 examples per property; make test uses 100.
fuzz: venv node-tools
	HYPOTHESIS_PROFILE=fuzz $(VENV)/bin/python -m pytest -m fuzz $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .venvs $(TOOLS_DIR) build dist .aws-sam .pytest_cache .mypy_cache \
		.ruff_cache .hypothesis *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

# Extra targets from other parts of the project (e.g. mk/template.mk: check-template).
-include mk/*.mk

HAS_CHECK_TEMPLATE := $(shell grep -lsE '^check-template[[:space:]]*:' $(MAKEFILE_LIST))
