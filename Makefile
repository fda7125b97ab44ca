# Two commands do all set-up: `make demo` and `make test` both create .venv from setup.py.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# Test processes (pytest-xdist); each test file runs whole in one of them, so
# module-scoped models are built once.
TEST_WORKERS ?= 2
XDIST := -n $(TEST_WORKERS) --dist loadfile

.PHONY: test test-fast demo bench clean

$(STAMP): setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The full suite, slow tests included (CI runs exactly this).
test: $(STAMP)
	$(PY) -m pytest tests tf_grw -q -ra $(XDIST)

# Everything except tests marked slow.
test-fast: $(STAMP)
	$(PY) -m pytest tests tf_grw -q -ra -m "not slow" $(XDIST)

demo: $(STAMP)
	$(PY) launch/demo.py $(DEMO_FLAGS)

bench: $(STAMP)
	$(PY) benchmarks/grw_loss_bench.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
