# FinOps guardrails for Pulumi: one .venv at the root holds both packages and the test tools.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
STACK ?= dev

.PHONY: setup preview docs test lint typecheck bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml policy_pack/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	PYTHONWARNINGS=ignore $(BIN)/pip install --quiet -e '.[dev]' -r policy_pack/requirements.txt
	touch $(STAMP)

preview: setup
	$(BIN)/finops preview --stack $(STACK)

# The README's counts and table of resource kinds, written from core/finops_core/data/kinds.
docs: setup
	$(BIN)/python scripts/generate_kinds_docs.py

test: setup docs
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -q

lint: setup
	$(BIN)/ruff check .

typecheck: setup
	$(BIN)/mypy

bench: setup
	$(BIN)/python benchmarks/bench_preview.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
