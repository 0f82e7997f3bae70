# Quick start: `make demo` (set-up + the main job) and `make test` (set-up + the tests).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test test-fast setup libreoffice poppler lint bench clean

# One-time set-up: a virtual environment with the package and its test tools.
$(BIN)/billing-model: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

setup: $(BIN)/billing-model

# The workbook tests recalculate in LibreOffice headless; install it when it is missing.
libreoffice:
	@sh scripts/ensure-package.sh libreoffice-calc soffice

# The quote tests read the PDFs of `billing-model quote` with pdftotext (Debian poppler-utils).
poppler:
	@sh scripts/ensure-package.sh poppler-utils pdftotext pdftoppm

# The main job: build every example scenario into workbooks/ and print where they are.
demo: setup
	$(BIN)/billing-model demo

# Every test, on every core (pytest-xdist): the workbook tests share the session's workbooks, each
# worker recalculates its share in one LibreOffice run (tests/workbooks.py). A module's tests stay
# on one worker (--dist loadfile), so its module fixtures read each recalculated workbook once
# (--dist loadgroup would do it by marks, but xdist 3.8 ignores them under pytest 9.2).
test: setup libreoffice poppler
	$(BIN)/python -m pytest -n auto --dist loadfile

# The inner loop: every test that needs no LibreOffice (about 50 s on 2 cores), without the slow one
# that builds the wheel and installs it in a fresh environment (tests/test_package.py).
test-fast: setup poppler
	$(BIN)/python -m pytest -n auto --dist loadfile -m "not libreoffice and not slow"

# The linter, the format (pyproject.toml [tool.ruff.format]), then the type checker: strict on
# core, the default checks elsewhere in the package (pyproject.toml [tool.mypy]); its cache in
# .mypy_cache makes a second run take seconds.
lint: setup
	$(BIN)/ruff check billing_model udfs tests benchmarks
	$(BIN)/ruff format --check billing_model udfs tests benchmarks
	$(BIN)/mypy

# The engine against DuckDB and Polars peers of its rules, fresh processes, at 150k sessions;
# larger: `$(BIN)/python benchmarks/compare_peers.py --sizes 1.5M,7.5M,year`.
bench: setup
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/compare_peers.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .mypy_cache
