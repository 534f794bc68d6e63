# govreports — every target works on a fresh machine with only Python, pip and apt
# (test and demo install LibreOffice, Tesseract, CJK fonts and Chromium with apt: system-deps).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATA   ?= data
JOBS   ?= auto

.PHONY: help install system-deps demo test bench codebook clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the project with its test tools

# What DOC/WPS/XLS conversion (LibreOffice), scans (Tesseract with Simplified Chinese),
# rendering Chinese text (CJK fonts) and the HTML report's browser test (headless Chromium)
# need. Nothing is run when every tool is there; when one is missing they are installed
# with apt (sudo when not root); when that is impossible, make says what to install and
# goes on (the tests needing the tool then skip locally and fail in CI).
SYSTEM_PACKAGES := libreoffice-writer-nogui libreoffice-calc-nogui tesseract-ocr tesseract-ocr-chi-sim fonts-noto-cjk chromium redis-server

system-deps:  ## install LibreOffice, Tesseract (chi_sim), CJK fonts, Chromium and Redis with apt, if any is missing
	@missing=""; \
	lo=$$(command -v soffice || command -v libreoffice || true); \
	program=$$(if [ -n "$$lo" ]; then dirname "$$(readlink -f "$$lo")"; fi); \
	if [ -z "$$lo" ] || [ ! -e "$$program/libswlo.so" ]; then missing="$$missing libreoffice-writer-nogui"; fi; \
	if [ -z "$$lo" ] || [ ! -e "$$program/libsclo.so" ]; then missing="$$missing libreoffice-calc-nogui"; fi; \
	if ! tesseract --list-langs 2>/dev/null | grep -qx chi_sim; then missing="$$missing tesseract-ocr tesseract-ocr-chi-sim"; fi; \
	if ! fc-list :lang=zh 2>/dev/null | grep -q .; then missing="$$missing fonts-noto-cjk"; fi; \
	if ! command -v chromium >/dev/null; then missing="$$missing chromium"; fi; \
	if ! command -v redis-server >/dev/null; then missing="$$missing redis-server"; fi; \
	[ -z "$$missing" ] && exit 0; \
	echo "system-deps: missing:$$missing"; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo -n"; else sudo=none; fi; \
	if [ "$$sudo" != none ] && command -v apt-get >/dev/null \
	   && $$sudo apt-get update -qq \
	   && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(SYSTEM_PACKAGES); then \
	  echo "system-deps: installed $(SYSTEM_PACKAGES)"; \
	else \
	  echo "system-deps: could not install them here (needs apt-get, and root or sudo)."; \
	  echo "system-deps: install the Debian packages$$missing; until then the files needing them fail with a reason naming the package."; \
	fi

demo: system-deps $(STAMP)  ## crawl the bundled replica of real portals (every city spider) into a dataset and print a summary
	$(BIN)/govreports demo --out $(DATA)

test: system-deps $(STAMP)  ## run the test suite
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile -q

bench: system-deps $(STAMP)  ## normalizer throughput per format, crawl throughput against a bare Scrapy spider, the 100k-report build (time, peak memory)
	$(BIN)/python -m bench.normalizer
	$(BIN)/python -m bench.crawl
	$(BIN)/python -m bench.build

codebook: $(STAMP)  ## regenerate docs/codebook.md from the dataset schema
	$(BIN)/govreports codebook --out docs/codebook.md

clean:  ## remove the virtual environment and generated data
	rm -rf $(VENV) build *.egg-info .pytest_cache
