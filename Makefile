# govreports — every target works on a fresh machine with only Python, pip and apt.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATA   ?= data
JOBS   ?= auto

.PHONY: help install demo test bench codebook clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the project with its test tools

demo: $(STAMP)  ## build a dataset end to end from the bundled corpus and print a summary
	$(BIN)/govreports demo --out $(DATA)

test: $(STAMP)  ## run the test suite
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile -q

bench: $(STAMP)  ## measure normalizer throughput per format against the raw-parse limits
	$(BIN)/python -m bench.normalizer

codebook: $(STAMP)  ## regenerate docs/codebook.md from the dataset schema
	$(BIN)/govreports codebook --out docs/codebook.md

clean:  ## remove the virtual environment and generated data
	rm -rf $(VENV) build *.egg-info .pytest_cache
