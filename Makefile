# Two commands: `make run` serves on http://127.0.0.1:8000, `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
export HF_HUB_OFFLINE := 1
export LITELLM_LOCAL_MODEL_COST_MAP := True

.PHONY: run test install install-dev system-deps lint typecheck bench llm clean vendor

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# torch is pinned to 2.13.0 in pyproject.toml so pip takes the CPU build.
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PIP) install --quiet "torch==2.13.0"
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(PIP) install --quiet -e ".[dev]"
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
test: install-dev system-deps
	$(PY) -m pytest -q -ra --ignore=tests/browser
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

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
