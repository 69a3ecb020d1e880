# `make demo` and `make test` do all the set-up on a fresh machine (Python 3.11+ and PyPI only).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo run test lint typecheck-tree bench eval fit-flag hostile clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "diplowatch needs Python 3.11 or newer; '$(PYTHON)' is missing or older (try: make PYTHON=python3.11)" >&2; \
	  exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/diplowatch demo

run: $(STAMP)
	$(BIN)/diplowatch run

test: lint
	$(BIN)/pytest

lint: $(STAMP) typecheck-tree
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/mypy tests scripts

# mypy reads modules from folders named like their packages; the repository keeps `flows/` and
# the others at the top, so it checks them through a tree of links named as installed: the
# package root's own modules, its subpackages (`diplowatch/cli/`...), then the four mapped folders.
TYPECHECK := build/typecheck/diplowatch
typecheck-tree:
	rm -rf build/typecheck && mkdir -p $(TYPECHECK)
	for f in diplowatch/*.py diplowatch/py.typed; do ln -s ../../../$$f $(TYPECHECK)/; done
	for i in diplowatch/*/__init__.py; do ln -s ../../../$${i%/__init__.py} $(TYPECHECK)/; done
	for d in config extractors flows storage; do ln -s ../../../$$d $(TYPECHECK)/$$d; done

bench: $(STAMP)
	$(BIN)/python scripts/bench_pipeline.py --sizes 2000,4000 $(if $(DASK),--dask $(DASK))

# refit the flag's decision ([model] of config/flag.toml) on every labelled text; deterministic
fit-flag: $(STAMP)
	$(BIN)/python scripts/fit_flag.py

# the hostile battery (tests/hostile): every case through the daily flow, then its table
hostile: $(STAMP)
	mkdir -p build
	HOSTILE_TABLE=build/hostile.md $(BIN)/pytest tests/hostile -p no:cacheprovider -q
	@cat build/hostile.md

# Claims against the real-article dev set (../shared/eval/real-dev): score.py's figures, precision
# per rule family, misses by class (scripts/eval_claims.py --help for other sets, --markdown).
eval: $(STAMP)
	$(BIN)/python scripts/eval_claims.py $(EVAL_ARGS)

clean:
	rm -rf $(VENV) build data/demo.duckdb data/demo.read.duckdb data/demo.lock
