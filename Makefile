# custloyalty developer commands. Everything runs in ./.venv, created on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check
DEV    := $(VENV)/.dev-stamp
BASE   := $(VENV)/.base-stamp
SRC    := src tests benchmarks

.PHONY: test lint typecheck unit docs demo bench clean test-spark

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(BASE): pyproject.toml | $(BIN)/python
	$(PIP) install -q -e .
	touch $@

$(DEV): pyproject.toml $(wildcard tests/plugin_example/pyproject.toml tests/plugin_example/src/*/*.py) | $(BIN)/python
	$(PIP) install -q -e ".[dev]"
	if [ -f tests/plugin_example/pyproject.toml ]; then $(PIP) install -q --no-deps --force-reinstall ./tests/plugin_example; fi
	touch $@ $(BASE)

## make test: ruff (lint + format check), mypy --strict, pytest, mkdocs build --strict
test: lint typecheck unit docs

lint: $(DEV)
	$(BIN)/ruff check $(SRC)
	$(BIN)/ruff format --check $(SRC)

typecheck: $(DEV)
	$(BIN)/mypy

unit: $(DEV)
	$(BIN)/pytest -q

## make docs: build the site into build/site; it works offline, opened from disk (index.html)
docs: $(DEV)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir build/site

## make test-spark: the Spark recipe of docs/guides/scale.md on local[2] (installs pyspark and,
## on Debian/Ubuntu, openjdk-17-jre-headless when no Java runtime is found)
test-spark: $(DEV)
	$(BIN)/python -c "import pyspark" 2>/dev/null || $(PIP) install -q pyspark
	command -v java >/dev/null || (apt-get update -q && apt-get install -y -q openjdk-17-jre-headless) \
		|| (echo "test-spark: install a Java runtime (e.g. openjdk-17-jre-headless)"; exit 1)
	CUSTLOYALTY_TEST_SPARK=1 $(BIN)/pytest -q -p no:cacheprovider tests/engines/test_spark.py

## make demo: install the package and run the evaluation on the bundled data
demo: $(BASE)
	$(BIN)/custloyalty demo

## make bench: run the benchmarks (installs the peers into a separate venv, see benchmarks/README.md)
bench: $(DEV)
	$(MAKE) -C benchmarks

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache .benchmarks
