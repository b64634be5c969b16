# The two commands of the README: `make demo` and `make test`. Each installs what it needs, once.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT := out

.PHONY: demo test lint bench system clean

demo: $(STAMP)
	@mkdir -p $(OUT)
	$(BIN)/vpcdraw example assignment > $(OUT)/assignment.py
	$(BIN)/vpcdraw check $(OUT)/assignment.py
	$(BIN)/vpcdraw render $(OUT)/assignment.py -o $(OUT)/assignment.png --my-ip 203.0.113.10
	@echo "The assignment's topology is $(OUT)/assignment.py; its drawing is $(OUT)/assignment.png"

test: $(STAMP) lint
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check topology render deploy vpcdraw tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/run.py

system:
	@sh scripts/system-deps.sh

$(STAMP): pyproject.toml scripts/system-deps.sh
	@sh scripts/system-deps.sh
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .mypy_cache .ruff_cache .hypothesis
