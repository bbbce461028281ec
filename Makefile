# One command sets up and runs the main job; one sets up and runs the tests.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOME_DIR ?= .demo-home
SAMPLE := examples/000_4fc7972ffbe2aa8d.txt

.PHONY: demo test test-fast test-slow lint check bench bench-ingest clean

$(BIN)/archive: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade 'pip>=25.1'
	# setuptools' "compat" editable mode puts the checkout on sys.path with a plain .pth
	# line (about 1 ms a command, where the default mode's import hook costs about 11);
	# a setuptools without that mode gets the default.
	$(BIN)/python -m pip install --quiet -e . --group dev --config-settings editable_mode=compat 2>/dev/null \
	  || $(BIN)/python -m pip install --quiet -e . --group dev
	$(BIN)/python -m compileall -q archive index migrations web cli.py cli_curation.py cli_grow.py cli_params.py cli_serve.py cli_terminal.py cli_transfer.py
	@touch $@

## demo: install, ingest the sample article, search it (the main job)
demo: $(BIN)/archive
	$(BIN)/archive --home $(HOME_DIR) ingest $(SAMPLE) --source Euronews --published 2025-03-13 --tag nato --tag ukraine
	$(BIN)/archive --home $(HOME_DIR) search 'deploy troops'

## test: install and run the whole test suite
test: $(BIN)/archive
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

## test-fast: the suite without the slow end-to-end tests
test-fast: $(BIN)/archive
	$(BIN)/python -m pytest -q -n 2 --dist loadfile -m "not slow"

## test-slow: only the slow end-to-end tests (crash, concurrency, large inputs)
test-slow: $(BIN)/archive
	$(BIN)/python -m pytest -q -n 2 --dist loadfile -m slow

## bench-ingest: bulk JSONL ingest of ~21,000 real articles vs a bare Whoosh writer (bench/README.md)
bench-ingest: $(BIN)/archive
	$(BIN)/python bench/ingest_bench.py

## bench: performance benchmark on the BBC News corpus (bench/README.md); BENCH_ARGS=--quick for a short run
bench: $(BIN)/archive
	$(BIN)/python -m pip install --quiet -e '.[bench]' --group dev --config-settings editable_mode=compat 2>/dev/null \
	  || $(BIN)/python -m pip install --quiet -e '.[bench]' --group dev
	@command -v rg >/dev/null || { echo "bench needs ripgrep (rg): apt-get install ripgrep"; exit 1; }
	$(BIN)/python bench/run.py $(BENCH_ARGS)

## lint: ruff (lint and format) and mypy (strict on archive/ and index/)
lint: $(BIN)/archive
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## check: what CI runs: the whole test suite, then the lint gates
check: test lint

clean:
	rm -rf $(VENV) $(HOME_DIR) build *.egg-info
