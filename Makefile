# Two commands on a fresh machine:  make demo  |  make test
# Each creates the virtual environment in .venv and installs what it needs first.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install demo test lint format bench clean

$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "beian-audit needs Python >= 3.11 (found %s); set PYTHON=python3.11" % sys.version.split()[0])'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

install: $(INSTALLED)

## demo: generate a 300-site sample jurisdiction, serve it on loopback, import and crawl it
demo: install
	scripts/system-packages.sh demo
	$(BIN)/beian demo --fresh

## test: the whole suite (PostgreSQL too when BEIAN_TEST_POSTGRES_URL is set)
test: install
	scripts/system-packages.sh test
	$(BIN)/python -m pytest -n 2 --dist loadgroup

## lint: ruff (style) and mypy (types; its settings are in pyproject.toml)
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## bench: the crawl throughput benchmark (see benchmarks/README.md)
bench: install
	$(BIN)/python benchmarks/crawl_throughput.py --sites 5000

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .mypy_cache
