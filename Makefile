# Two entry points, both self-installing on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP_INSTALL := $(PY) -m pip install --quiet --disable-pip-version-check
# One venv, one stamp per installed set: the demo needs only the base package (no PyTorch,
# no LLM client), the tests and benchmarks need the extras. `make test` after `make demo`
# adds the extras to the same venv.
DEMO_STAMP := $(VENV)/.installed-base
FULL_STAMP := $(VENV)/.installed-dev-llm-embeddings-train-batch-cluster

.PHONY: demo test lint bench install install-demo

install: $(FULL_STAMP)

install-demo: $(DEMO_STAMP)

$(PY):
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)

$(DEMO_STAMP): pyproject.toml | $(PY)
	$(PIP_INSTALL) -e .
	touch $@

# The full set includes the base package, so it satisfies the demo's stamp too.
$(FULL_STAMP): pyproject.toml | $(PY)
	$(PIP_INSTALL) -e '.[dev,llm,embeddings,train,batch,cluster]'
	touch $@ $(DEMO_STAMP)

demo: install-demo
	$(VENV)/bin/copilot demo

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: lint
	$(PY) -m pytest

bench: install
	$(PY) -m bench.asr
	$(PY) -m bench.extract
	$(PY) -m bench.compliance
	$(PY) -m bench.retrieval
