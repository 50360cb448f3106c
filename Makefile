# Tillcard: every target creates the virtual environment on first use (Python 3.11+ needed).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: run test check lint sandbox screenshots receipts benchmarks wheel lock clean

run: $(VENV)/.app-installed          ## the cashier app in training mode
	$(BIN)/pos-app --training

test: $(VENV)/.dev-installed         ## the whole test suite (headless)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

check: $(VENV)/.dev-installed        ## ruff + mypy (strict on domain/)
	$(BIN)/ruff check pos_app tests benchmarks tools
	$(BIN)/ruff format --check pos_app tests benchmarks tools
	$(BIN)/mypy pos_app tests benchmarks tools

lint: check

sandbox: $(VENV)/.app-installed      ## serve the three emulators on 127.0.0.1:8765
	$(BIN)/pos-app sandbox

screenshots: $(VENV)/.dev-installed  ## regenerate docs/screenshots (needs xvfb)
	$(BIN)/python tools/screenshots.py docs/screenshots

receipts: $(VENV)/.dev-installed     ## regenerate docs/receipts (sample receipts and card label, headless)
	$(BIN)/python tools/sample_receipts.py docs/receipts

wheel: $(VENV)/.dev-installed
	$(BIN)/python -m pip wheel --no-deps -w dist .

lock: $(VENV)/.dev-installed         ## re-pin requirements/*.lock from pyproject.toml
	$(BIN)/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links -o requirements/app.lock pyproject.toml
	$(BIN)/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links --extra dev -o requirements/dev.lock pyproject.toml

$(VENV)/.python-ok:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
	  { echo "Tillcard needs Python 3.11 or newer (found: $$($(PYTHON) --version 2>&1)). Try: make PYTHON=python3.11"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	touch $@

$(VENV)/.app-installed: $(VENV)/.python-ok requirements/app.lock pyproject.toml
	$(PIP) install -r requirements/app.lock
	$(PIP) install --no-deps -e .
	touch $@

$(VENV)/.dev-installed: $(VENV)/.python-ok requirements/dev.lock pyproject.toml
	$(PIP) install -r requirements/dev.lock
	$(PIP) install --no-deps -e .
	touch $@ $(VENV)/.app-installed

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis
