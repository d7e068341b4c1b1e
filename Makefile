# The README's two commands: `make start` opens the course, `make test` runs every test.
# Each creates the virtual environment .venv and installs the course into it on first use
# (again whenever pyproject.toml changes), so a fresh machine needs only Python 3.10+, git and make.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(abspath $(VENV))/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check
# nbgrader runs `alembic` from PATH when it opens a gradebook: the venv's bin/ goes first.
export PATH := $(BIN):$(PATH)

.PHONY: start test release lint clean

## start: install (first time), copy the student notebooks into ./my-backprop-course, open JupyterLab
start: $(VENV)/.installed-core
	$(BIN)/bpcourse start $(DIR)

## test: install with the test and frameworks extras (first time), then run every test
test: $(VENV)/.installed-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## release: (instructors) regenerate course/ from solutions/
release: $(VENV)/.installed-core
	$(BIN)/bpcourse release

lint: $(VENV)/.installed-test
	$(BIN)/python -m ruff check bp_helpers grader tests benchmarks solutions course

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	touch $@

$(VENV)/.installed-core: pyproject.toml $(VENV)/.created
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.created
	$(PIP) install -e ".[test,frameworks]"
	touch $@ $(VENV)/.installed-core

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache
