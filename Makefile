# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test install test-install clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.test-installed: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[test,spark]'
	touch $@

install: $(VENV)/.installed

test-install: $(VENV)/.test-installed

demo: $(VENV)/.installed
	$(VENV)/bin/tincheck demo

test: $(VENV)/.test-installed
	$(PY) -m pytest -n 2 --dist loadgroup

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache
