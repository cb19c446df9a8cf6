# omnitune: every target sets up .venv itself (idempotently), so a fresh clone needs nothing else.
PY      := .venv/bin/python
PIP     := $(PY) -m pip
STAMP   := .venv/.installed
EXTRAS  := dev,llm,image,audio,video,api,harness,tracking

.PHONY: install demo test test-fast bench lint format clean

$(PY):
	python3 -m venv .venv
	$(PIP) install --quiet --upgrade pip

# torch first, pinned to the CPU build this machine provides (a bare `torch` pulls a multi-GB CUDA build).
$(STAMP): $(PY) pyproject.toml
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e ".[$(EXTRAS)]"
	touch $(STAMP)

install: $(STAMP)

# Debian's Chromium drives the browser tests (Playwright uses it; it never downloads a browser).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "chromium is missing and this is not root: browser tests will be skipped"; fi

demo: $(STAMP)
	HF_HUB_OFFLINE=1 $(PY) -m omnitune.demo

test: $(STAMP) $(CHROMIUM)
	$(PY) -m ruff check src tests
	$(PY) -m mypy
	HF_HUB_OFFLINE=1 $(PY) -m pytest -q

test-fast: $(STAMP)
	HF_HUB_OFFLINE=1 $(PY) -m pytest -q -m "not slow and not e2e"

bench: $(STAMP)
	HF_HUB_OFFLINE=1 $(PY) -m benchmarks.run

lint: $(STAMP)
	$(PY) -m ruff check src tests
	$(PY) -m ruff format --check src tests
	$(PY) -m mypy

format: $(STAMP)
	$(PY) -m ruff format src tests
	$(PY) -m ruff check --fix src tests

clean:
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache
