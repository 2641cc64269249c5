# The README's two commands. Both create .venv when missing and (re)install the project into it
# whenever pyproject.toml changes, and compile the compiled engine's kernels in parallel first
# (twolayer warmup: under a minute on a fresh 2-core machine, a second or two once cached).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-slow bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/twolayer warmup --quick --quiet
	$(VENV)/bin/twolayer reproduce --quick --jobs 2

test: $(STAMP)
	$(VENV)/bin/twolayer warmup --quiet
	$(PY) -m pytest

test-slow: $(STAMP)
	$(PY) -m pytest -m slow

bench: $(STAMP)
	$(PY) benchmarks/engines.py

clean:
	rm -rf $(VENV) results build src/*.egg-info
