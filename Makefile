# reeltag: `make demo` and `make test` are the whole set-up on a fresh clone.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export DO_NOT_TRACK := true
export MLFLOW_DISABLE_TELEMETRY := true
export PREFECT_SERVER_ANALYTICS_ENABLED := false

.PHONY: venv test demo bench bench-all docs clean clean-data

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,scale]'
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q -n auto --maxprocesses=4 --dist loadfile --no-loadscope-reorder

demo: $(STAMP)
	$(VENV)/bin/reeltag demo

# the headline ratios (about ten minutes here); bench-all adds memory at 200k tags, the API load, the pool and Dask
bench: $(STAMP)
	$(PY) -m bench

bench-all: $(STAMP)
	$(PY) -m bench --all

# The docs site (mkdocs.yml, docs/), built strictly into a temporary folder as CI does; to browse it while
# editing: `.venv/bin/mkdocs serve` (http://127.0.0.1:8000/).
docs: $(STAMP)
	$(VENV)/bin/mkdocs build --strict --site-dir "$$(mktemp -d)"

# Build outputs only. The project's data (corpus, quarantine, inbox, Prefect state) and the demo project are
# never removed by `clean`: that is `clean-data`, asked for by name.
clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache src/*.egg-info bench/results
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

clean-data:
	rm -rf data demo-out
