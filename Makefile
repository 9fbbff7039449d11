PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FRESHDATA_HOME ?= $(CURDIR)/.freshdata
HOST ?= 127.0.0.1
PORT ?= 3000

.PHONY: demo test test-fast test-corpus ui lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/freshdata demo

# Two workers, a module at a time on each (freshdata_tests/conftest.py: the Ray modules together, longest first).
test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider --durations=25 -n 2 --dist loadscope --no-loadscope-reorder

# The unit tests alone (no end-to-end run through Dagster, no subprocess crawl): the loop while editing.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider -m "not slow" -n auto

# Manual suite on real web material from ../shared/corpus (not in `make test`; fails when the corpus is absent).
test-corpus: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider corpus_tests

ui: $(STAMP)
	$(BIN)/freshdata ui --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check freshdata freshdata_tests corpus_tests benchmarks

clean:
	rm -rf $(VENV) .freshdata
