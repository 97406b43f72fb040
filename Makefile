# aioacquiring: `make demo` and `make test` are all a fresh clone needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test lint typecheck codegen codegen-check pytest oldest newest reliability reliability-quick docs demo bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,examples]"
	touch $(STAMP)

test: $(STAMP) lint typecheck codegen-check pytest oldest newest reliability-quick docs

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy --strict src

codegen: $(STAMP)
	$(PY) codegen/generate.py

codegen-check: $(STAMP)
	$(PY) codegen/generate.py --check

pytest: $(STAMP)
	$(PY) -m coverage erase
	$(PY) -m coverage run -m pytest -q
	$(PY) -m coverage report

# The suite again on Python 3.10 with every runtime dependency at its floor in
# pyproject.toml, and on the newest Python 3.12+ installed with the newest
# dependencies (each skipped, and says so, where no such Python is installed).
oldest: $(STAMP)
	$(PY) .ci/pythons.py oldest

newest: $(STAMP)
	$(PY) .ci/pythons.py newest

# Every money call under every scripted fault; fails on a double charge, a lost
# result or an untyped exception. `make test` runs each scenario once.
reliability: $(STAMP)
	$(PY) reliability/run.py

reliability-quick: $(STAMP)
	$(PY) reliability/run.py --quick

# The HTML API reference from the docstrings; any warning fails it (CI builds it).
DOC_MODULES := aioacquiring aioacquiring.errors aioacquiring.core \
	aioacquiring.cloudpayments aioacquiring.cloudpayments.webhooks \
	aioacquiring.bank131 aioacquiring.bank131.webhooks \
	aioacquiring.alif aioacquiring.models \
	aioacquiring.testing aioacquiring.testing.cloudpayments aioacquiring.testing.bank131 \
	aioacquiring.testing.alif aioacquiring.testing.faults aioacquiring.testing.outbox \
	aioacquiring.testing.admin aioacquiring.testing.server aioacquiring.testing.cli \
	aioacquiring.testing.pytest_plugin

docs: $(STAMP)
	rm -rf docs/api
	$(PY) -W error -m pdoc --docformat google -o docs/api $(DOC_MODULES)
	@echo "API reference: docs/api/index.html"

demo: $(STAMP)
	$(PY) examples/demo.py

bench: $(STAMP)
	$(PY) benchmarks/bench_cloudpayments.py
	$(PY) benchmarks/bench_decode.py

clean:
	rm -rf $(VENV) .venv-oldest .venv-newest .coverage .pytest_cache .mypy_cache .ruff_cache .hypothesis docs/api
