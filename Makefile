# Two commands matter: `make demo` and `make test`. Both set up .venv on first use.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: install demo test test-fast lint release release-check bench clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "mgrade needs Python 3.11 or newer (found %s)" % sys.version.split()[0])'
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@bash scripts/system-deps.sh
	@touch $(STAMP)

demo: install
	$(VENV)/bin/mgrade demo --out out

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: install
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .

release: install
	$(VENV)/bin/mgrade release

release-check: install
	$(VENV)/bin/mgrade release --check

bench: install
	$(PY) benchmarks/engine.py
	$(PY) benchmarks/grade.py
	$(PY) benchmarks/batch.py -n 100 --profile
	$(PY) benchmarks/transport.py
	PATH="$(VENV)/bin:$$PATH" $(PY) benchmarks/notebook.py
	$(PY) benchmarks/pytest_plugin.py

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache *.egg-info
