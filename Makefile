# Two commands: `make run` serves on http://127.0.0.1:8000, `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
export HF_HUB_OFFLINE := 1
export LITELLM_LOCAL_MODEL_COST_MAP := True

.PHONY: run test install install-dev system-deps lint typecheck bench llm clean vendor lock

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Every dependency from the hashed lock files (scripts/lock.sh writes them from pyproject.toml),
# then the package itself without dependencies. torch is the CPU build 2.13.0+cpu: from pip's own
# sources when they have it, else from the PyTorch CPU index (PyPI has only the CUDA build).
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
LOCKED := $(PIP) install --quiet --require-hashes

$(VENV)/.installed: requirements.lock pyproject.toml | $(PY)
	$(LOCKED) -r requirements.lock 2>/dev/null || $(LOCKED) -r requirements.lock --extra-index-url $(TORCH_INDEX)
	$(PIP) install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: requirements-dev.lock $(VENV)/.installed
	$(LOCKED) -r requirements-dev.lock 2>/dev/null || $(LOCKED) -r requirements-dev.lock --extra-index-url $(TORCH_INDEX)
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(VENV)/bin/interviewer serve

system-deps:
	bash scripts/system-deps.sh

# Re-fetch the vendored npm files (needs npm) and check them against scripts/vendor.lock.
vendor: $(PY)
	$(PY) scripts/vendor_frontend.py

# The browser suite runs in its own pytest process: Playwright's sync API keeps an event loop
# running on the main thread, which breaks later tests that call asyncio.run().
# The rest runs on PYTEST_WORKERS processes (pytest-xdist, one test file per worker at a time, so
# a file's module fixtures are built once); PYTEST_WORKERS=0 runs it in this process.
PYTEST_WORKERS ?= 2
test: install-dev system-deps
	$(PY) -m pytest -q -ra -n $(PYTEST_WORKERS) --dist loadfile --ignore=tests/browser
	$(PY) -m pytest -q -ra tests/browser

lint: install-dev
	$(VENV)/bin/ruff check interviewer tests bench scripts
	$(VENV)/bin/mypy

bench: install-dev
	$(PY) bench/judge_bench.py

# A local LLM judge: builds llama-cpp-python once (cached wheel), serves Gemma 3 270M on :8081.
llm: install
	bash scripts/llm_wheel.sh $(VENV)
	$(PY) scripts/llm_serve.py

# Regenerate requirements.lock and requirements-dev.lock after a dependency change (needs uv).
lock:
	bash scripts/lock.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
