# The two commands of the README: `make demo` and `make test`. Each installs what it needs, once.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# checkov, for tests/deploy/test_checkov.py, in a venv of its own: in the project venv it would downgrade boto3,
# networkx and packaging.
CHECKOV_VENV := .venv-checkov
CHECKOV := checkov==3.3.30
STAMP := $(VENV)/.installed
OUT := out
MY_IP ?= 203.0.113.10

.PHONY: demo test lint bench system clean

# The main job: draw the assignment, deploy it to the embedded local AWS, and show nothing is left to do.
demo: $(STAMP)
	@mkdir -p $(OUT)
	$(BIN)/vpcdraw example assignment > $(OUT)/assignment.py
	$(BIN)/vpcdraw check $(OUT)/assignment.py
	$(BIN)/vpcdraw render $(OUT)/assignment.py -o $(OUT)/assignment.png --my-ip $(MY_IP)
	$(BIN)/vpcdraw local start
	$(BIN)/vpcdraw apply $(OUT)/assignment.py --local --my-ip $(MY_IP)
	$(BIN)/vpcdraw plan $(OUT)/assignment.py --local --my-ip $(MY_IP) --detailed-exitcode
	@echo "The topology is $(OUT)/assignment.py and its drawing $(OUT)/assignment.png; it runs on the local AWS,"
	@echo "which keeps running: try '$(BIN)/vpcdraw destroy $(OUT)/assignment.py --local', then '$(BIN)/vpcdraw local stop'."

# Two workers, each with its own moto server: the deploy tests mostly wait on it.
test: $(STAMP) $(CHECKOV_VENV)/.installed lint
	$(BIN)/pytest -n 2

lint: $(STAMP)
	$(BIN)/ruff check topology render deploy vpcdraw tests bench
	@sh scripts/typecheck-tree.sh
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/run.py

system:
	@sh scripts/system-deps.sh

$(STAMP): pyproject.toml scripts/system-deps.sh Makefile
	@sh scripts/system-deps.sh
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@# draw.io's own viewer and AWS4 stencils, for tests/render/test_drawio_viewer.py: three JS files, so
	@# without the Jupyter server the package declares
	$(BIN)/python -m pip install -q --no-deps 'jupyterlab-drawio-render-extension==1.0.19'
	@touch $(STAMP)

# Only the tests need checkov, so `make demo` does not wait for it.
$(CHECKOV_VENV)/.installed: Makefile
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install -q '$(CHECKOV)'
	@touch $@

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) $(OUT) .pytest_cache .mypy_cache .ruff_cache .hypothesis
