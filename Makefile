# One task runner. `make test` is what CI runs (.ci/run); every target installs what it needs.
#
# It installs into a virtual environment: the active one when there is one ($VIRTUAL_ENV),
# otherwise .venv in this folder, made with the system python3 on first use. So the commands
# work as written on a Debian or Ubuntu python3, which refuses a plain `pip install`
# (PEP 668, "externally-managed-environment").
SYSTEM_PYTHON ?= python3
PIP_FLAGS ?= -q --disable-pip-version-check

ifdef VIRTUAL_ENV
VENV := $(VIRTUAL_ENV)
else
VENV := .venv
endif
BIN := $(VENV)/bin
PYTHON := $(BIN)/python

.PHONY: install test lint format demo templates examples docs bench

# Only .venv is made here; an active environment already has its python.
.venv/bin/python:
	@$(SYSTEM_PYTHON) -m venv .venv || { rm -rf .venv; \
	  echo "error: '$(SYSTEM_PYTHON) -m venv' failed; on Debian or Ubuntu install it with:" \
	       "sudo apt-get install python3-venv" >&2; exit 1; }
	@echo "made the virtual environment .venv; run the tool as .venv/bin/sroi-excel or" \
	      "activate it with: . .venv/bin/activate"

install: $(PYTHON)
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
	$(BIN)/sroi-excel fill examples/buurtcoach.xlsx -o out/buurtcoach-filled.xlsx

# Regenerate the committed templates (a test checks they equal what `new` makes).
templates: install
	$(BIN)/sroi-excel new templates/sroi-template-nl.xlsx --lang nl --force
	$(BIN)/sroi-excel new templates/sroi-template-en.xlsx --lang en --force

# Regenerate the example workbooks from their data (a test checks they equal what it makes).
examples: install
	$(PYTHON) examples/build_examples.py

# Regenerate the README's pictures, pages printed by LibreOffice (needs soffice and poppler).
docs: install
	$(PYTHON) docs/make_pages.py

# Benchmarks (not part of test: timings on a shared machine are noisy). See bench/README.md.
bench: install
	$(PYTHON) bench/run.py
	$(PYTHON) bench/bench_montecarlo.py
	$(PYTHON) bench/batch.py

# Mutation testing (not part of test or CI): mutmut changes the arithmetic and the reader's
# cell parsing one small step at a time and runs the fast tests that reach each change; a
# change that no test notices is a gap. One module at a time, at low priority, on two cores.
# The scores and what survives: README, Development.
.PHONY: mutate
mutate: $(PYTHON)
	$(PYTHON) -m pip install $(PIP_FLAGS) -e ".[test,mutate]"
	rm -rf mutants && mkdir mutants
	for module in formula formula_messages core engine; do \
	  echo "mutating sroi_excel/$$module.py"; \
	  nice -n 10 $(BIN)/mutmut run --max-children 2 "sroi_excel.$$module.*" \
	    > mutants/$$module.log 2>&1 || { tail -n 30 mutants/$$module.log; exit 1; }; \
	done
	echo "mutating sroi_excel/reader_cells.py (the parsing of a cell)"
	nice -n 10 $(BIN)/mutmut run --max-children 2 "sroi_excel.reader_cells.x_*" \
	  "sroi_excel.reader_cells.x*CellReader*" > mutants/reader_cells.log 2>&1 \
	  || { tail -n 30 mutants/reader_cells.log; exit 1; }
	$(PYTHON) tests/mutation_score.py
