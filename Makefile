# Tillcard: every target creates the virtual environment on first use (Python 3.11+ needed).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: run test check lint sandbox screenshots receipts benchmarks wheel lock clean \
	package package-test installer-check bundle-screenshots

run: $(VENV)/.app-installed          ## the cashier app in training mode
	$(BIN)/pos-app --training

test: $(VENV)/.dev-installed         ## the whole test suite (headless)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

check: $(VENV)/.dev-installed        ## ruff + mypy (strict on domain/)
	$(BIN)/ruff check pos_app tests benchmarks tools packaging
	$(BIN)/ruff format --check pos_app tests benchmarks tools packaging
	$(BIN)/mypy pos_app tests benchmarks tools packaging/bundle_contents.py packaging/tillcard_main.py

lint: check

sandbox: $(VENV)/.app-installed      ## serve the three emulators on 127.0.0.1:8765
	$(BIN)/pos-app sandbox

screenshots: $(VENV)/.dev-installed  ## regenerate docs/screenshots (needs xvfb)
	$(BIN)/python tools/screenshots.py docs/screenshots

receipts: $(VENV)/.dev-installed     ## regenerate docs/receipts (sample receipts and card label, headless)
	$(BIN)/python tools/sample_receipts.py docs/receipts

wheel: $(VENV)/.dev-installed
	$(BIN)/python -m pip wheel --no-deps -w dist .

PACKAGE_VENV := build/package-venv
VERSION = $$($(PYTHON) packaging/bundle_contents.py version)

package: $(PACKAGE_VENV)/.installed  ## the PyInstaller bundle in dist/Tillcard (docs/packaging.md)
	rm -rf dist/Tillcard
	$(PACKAGE_VENV)/bin/pyinstaller --noconfirm --log-level WARN --distpath dist \
	  --workpath build/pyinstaller packaging/tillcard.spec
	@du -sb dist/Tillcard | awk '{printf "dist/Tillcard: %.1f MB unpacked\n", $$1/1e6}'

package-test: package $(VENV)/.dev-installed  ## build, then the bundle smoke tests (marked `bundle`)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -m bundle tests/test_bundle.py

installer-check: package  ## compile the Windows installer script against this bundle (makensis)
	makensis -WX -V2 -DVERSION=$(VERSION) -DBUNDLE_DIR=$(CURDIR)/dist/Tillcard \
	  -DGUI_EXE=pos-app -DCLI_EXE=pos-app -DOUT_FILE=$(CURDIR)/dist/Tillcard-$(VERSION)-linux-check-setup.exe \
	  packaging/windows/tillcard.nsi
	@ls -l dist/Tillcard-$(VERSION)-linux-check-setup.exe

bundle-screenshots: $(VENV)/.dev-installed  ## docs/screenshots/bundle_*.png from dist/Tillcard (needs xvfb)
	$(BIN)/python tools/bundle_screenshot.py dist/Tillcard docs/screenshots

$(PACKAGE_VENV)/.installed: requirements/package.lock
	$(PYTHON) -m venv $(PACKAGE_VENV)
	$(PACKAGE_VENV)/bin/python -m pip --disable-pip-version-check -q install -r requirements/package.lock
	touch $@

lock: $(VENV)/.dev-installed         ## re-pin requirements/*.lock from pyproject.toml
	$(BIN)/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links -o requirements/app.lock pyproject.toml
	$(BIN)/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links --extra dev -o requirements/dev.lock pyproject.toml
	$(BIN)/uv pip compile -q --universal --python-version 3.11 --extra package --annotation-style line -o requirements/package.lock pyproject.toml

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
