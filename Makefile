# FinOps guardrails for Pulumi: one .venv at the root holds both packages and the test tools.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
STACK ?= dev

.PHONY: setup bytecode preview docs test fuzz lint typecheck bench clean

setup: $(STAMP) bytecode

# The library's bytecode, compiled ahead (only what changed): every `finops` command, policy pack
# and program that finops starts then loads it instead of compiling ~170 modules again, which it
# would do at every start where PYTHONDONTWRITEBYTECODE is set (a pip-installed wheel is compiled
# by pip at install time).
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q core/finops_core components/finops_components policy_pack preview/finops_preview >/dev/null

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

# pytest keeps its rewritten test modules (and the children their bytecode) even where the shell
# sets PYTHONDONTWRITEBYTECODE: each of the two workers would otherwise rewrite all ~70 modules.
test: setup docs
	$(BIN)/ruff check .
	$(BIN)/mypy
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest -q

# The property and fuzz tests with a fresh random search, 20 times as many examples as `make test`
# draws (always the same ones there); what fails is kept in .hypothesis/ and replayed first.
fuzz: setup
	HYPOTHESIS_PROFILE=fuzz $(BIN)/pytest -q -p no:cacheprovider tests/test_fuzz_inputs.py tests/test_policy_properties.py

lint: setup
	$(BIN)/ruff check .

typecheck: setup
	$(BIN)/mypy

bench: setup
	$(BIN)/python benchmarks/bench_preview.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
