# Quick start: `make demo` (install + symhard reproduce --quick) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed

.PHONY: demo test bench install readme-figure clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -c constraints.txt -e ".[all]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	@$(VENV)/bin/symhard reproduce --quick; status=$$?; \
	echo ""; \
	echo "The tour of the command line (README.md) needs this environment: source $(VENV)/bin/activate"; \
	exit $$status

test: $(STAMP)
	$(PY) -m pytest

# The figure of the README: the boolean experiment of the quick report (docs/report-figure.png).
readme-figure: $(STAMP)
	$(VENV)/bin/symhard run boolean --quick --out symhard-results
	$(VENV)/bin/symhard report symhard-results/boolean-quick
	cp symhard-results/boolean-quick/figures/exp-boolean-quick-error.png docs/report-figure.png

bench: $(STAMP)
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) symhard-results
