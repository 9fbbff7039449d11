PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FRESHDATA_HOME ?= $(CURDIR)/.freshdata
HOST ?= 127.0.0.1
PORT ?= 3000

.PHONY: demo test ui lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/freshdata demo

test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider

ui: $(STAMP)
	$(BIN)/freshdata ui --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check freshdata freshdata_tests benchmarks

clean:
	rm -rf $(VENV) .freshdata
