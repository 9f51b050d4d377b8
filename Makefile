# One task runner. `make test` is what CI runs (.ci/run); every target installs what it needs.
PYTHON ?= python3
PIP_FLAGS ?= -q --disable-pip-version-check

.PHONY: install test lint format demo templates examples bench

install:
	$(PYTHON) -m pip install $(PIP_FLAGS) -e ".[test]"

test: install
	$(PYTHON) -m pytest -q

lint: install
	$(PYTHON) -m ruff check sroi_excel tests examples bench

format: install
	$(PYTHON) -m ruff check --fix sroi_excel tests examples bench

# The main job on a shipped example: fill a copy, leave the example itself as it is.
demo: install
	mkdir -p out
	sroi-excel fill examples/buurtcoach.xlsx -o out/buurtcoach-filled.xlsx

# Regenerate the committed templates (a test checks they equal what `new` makes).
templates: install
	sroi-excel new templates/sroi-template-nl.xlsx --lang nl --force
	sroi-excel new templates/sroi-template-en.xlsx --lang en --force

# Regenerate the example workbooks from their data (a test checks they equal what it makes).
examples: install
	$(PYTHON) examples/build_examples.py

# Benchmarks (not part of test: timings on a shared machine are noisy). See bench/README.md.
bench: install
	$(PYTHON) bench/run.py
	$(PYTHON) bench/bench_montecarlo.py
	$(PYTHON) bench/batch.py
