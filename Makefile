# Two commands do all the set-up: `make run` and `make test`.
# The virtualenv is rebuilt from the lock file whenever the lock or pyproject changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONFIG ?= config/feeds.toml
DB ?= archive.db

.PHONY: run test lint format install lock clean docs demo eval feeds-eval parser-candidates fuzz bench bench-cluster profile

install: $(STAMP)

$(STAMP): requirements/dev.lock requirements/replay.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	test -x $(VENV)/replay/bin/python || $(PYTHON) -m venv $(VENV)/replay
	$(VENV)/replay/bin/python -m pip install --quiet --require-hashes -r requirements/replay.lock
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/ingester --config $(CONFIG) --db $(DB) run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Spread over every core (pytest-xdist): the end-to-end tests mostly wait on subprocesses.
test: lint
	$(BIN)/pytest -n auto

# Fresh random fuzzing, ten times the examples of make test (tests/test_fuzz.py).
fuzz: $(STAMP)
	INGESTER_FUZZ=explore $(BIN)/pytest tests/test_fuzz.py

eval: $(STAMP)
	$(BIN)/python -m bench.eval_extraction

# Charsets and feedparser's own test feeds through our fetch and parse path (bench/feed_corpora.py).
feeds-eval: $(STAMP)
	$(BIN)/python -m bench.feed_corpora

# Faster feed parsers (fastfeedparser, feedparser-rs) in a virtualenv of their own, read
# differentially against parse_feed over every feed corpus (bench/parser_candidates.py).
parser-candidates: $(STAMP)
	$(BIN)/python -m bench.parser_candidates

# 10,000 feeds and their pages served by nginx on loopback, the real daemon against them,
# each figure beside a ceiling and a naive baseline (bench/perf.py, docs/performance.md);
# then the longest feed the caps let in, its peak memory against 200 MB (bench/long_feed.py);
# then what WARC capture costs against no capture, and bytes per version (bench/capture_cost.py).
bench: $(STAMP)
	command -v nginx >/dev/null || (apt-get update -qq && apt-get install -y -qq nginx-light)
	$(BIN)/python -m bench.perf
	$(BIN)/python -m bench.long_feed
	$(BIN)/python -m bench.capture_cost

# One node against three on one site, sharing PostgreSQL: nodes in network namespaces,
# nginx and PostgreSQL in one of their own (bench/cluster_bench.py, docs/scale-out.md).
bench-cluster: $(STAMP)
	command -v nginx >/dev/null || (apt-get update -qq && apt-get install -y -qq nginx-light)
	ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq postgresql)
	$(BIN)/python -m bench.cluster_bench

# Where a poll's time goes, phase by phase (cProfile, one process; bench/profile.py).
profile: $(STAMP)
	command -v nginx >/dev/null || (apt-get update -qq && apt-get install -y -qq nginx-light)
	$(BIN)/python -m bench.profile

# Offline: sample feeds and pages on 127.0.0.1, a poll, an edit, a few articles, then
# Datasette. ARGS go to bench/demo.py: --keep, --port N, --no-serve, --show N.
ARGS ?=
demo: $(STAMP)
	$(BIN)/python -m bench.demo $(ARGS)

# docs/schema.md is generated from the descriptions in ingester/store/descriptions.py.
docs: $(STAMP)
	$(BIN)/python -c "from ingester.store.descriptions import schema_markdown; print(schema_markdown(), end='')" \
		> docs/schema.md

# Re-pin after editing pyproject.toml's dependencies (needs network to the registry).
lock:
	$(PYTHON) -m venv .lockenv && .lockenv/bin/pip install --quiet pip-tools
	.lockenv/bin/pip-compile --quiet --strip-extras --generate-hashes --allow-unsafe \
		-o requirements/run.lock pyproject.toml
	.lockenv/bin/pip-compile --quiet --strip-extras --generate-hashes --allow-unsafe \
		--extra dev -o requirements/dev.lock pyproject.toml
	.lockenv/bin/pip-compile --quiet --strip-extras --generate-hashes --allow-unsafe \
		-o requirements/replay.lock requirements/replay.in
	rm -rf .lockenv

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
