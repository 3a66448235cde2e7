# Two commands do all the set-up: `make run` and `make test`.
# Both create .venv on first use; later runs reinstall nothing unless pyproject.toml changed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The CPU build of torch. On a GPU server, override: make run TORCH='torch'
TORCH  ?= torch==2.13.0
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench snapshots clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# An editable install leaves tui-lab's own modules uncompiled, and where PYTHONDONTWRITEBYTECODE is set
# Python never caches them: every start compiled ~50 modules (~80 ms). compileall only redoes changed files.
run: $(STAMP)
	$(BIN)/python -m compileall -q src/tui_lab >/dev/null
	$(BIN)/tui-lab sample_data/house_tiny.csv

# The suite runs on two workers (pytest-xdist): every test has its own TUI_LAB_HOME and no fixed port.
PYTEST_WORKERS ?= 2

test: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	for script in bench/*.py; do $(BIN)/python $$script || exit 1; done

snapshots: $(STAMP)
	$(BIN)/python -m pytest tests/ui --snapshot-update

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
