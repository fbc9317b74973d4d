# One venv, two commands: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install run test test-fast lint bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: install  ## start the fleet and walk a sample case through it (Ctrl-C stops)
	$(BIN)/csn up --demo --log-dir var/logs

test: install  ## the whole suite
	$(BIN)/pytest -q -p no:cacheprovider

test-fast: install  ## the suite without the real-process integration tests
	$(BIN)/pytest -q -m "not integration"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict shared

bench: install  ## the simulation benchmark against a running fleet (`make run` first)
	$(BIN)/csn bench --sessions 100 --concurrency 20 --seed 7

clean:
	rm -rf $(VENV) var .pytest_cache
