# The README's two commands: `make start` opens the course, `make test` runs every test.
# Each creates the virtual environment .venv and installs the course into it on first use
# (again whenever pyproject.toml changes), so a fresh machine needs only Python 3.10+, git and make (and, for
# `make test`'s JupyterHub test, node/npm and Debian's python3 with venv: see the README).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(abspath $(VENV))/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check
# The hub test (tests/deploy/): JupyterHub and every user's server run from .hub-venv, a shared environment as in
# deploy/README.md, made with Debian's python3 so that every user can run it (the interpreter of .venv may lie in a
# folder only its owner can enter); its proxy comes from npm, pinned, into .hub-node/. Neither is committed.
HUB_VENV := .hub-venv
HUB_PYTHON ?= $(shell test -x /usr/bin/python3 && echo /usr/bin/python3 || echo $(PYTHON))
HUB_NODE := .hub-node
CHP_VERSION := 5.2.0
# nbgrader runs `alembic` from PATH when it opens a gradebook: the venv's bin/ goes first.
export PATH := $(BIN):$(abspath $(HUB_NODE))/node_modules/.bin:$(PATH)

.PHONY: start test test-fast grader release lint clean

## start: install (first time), copy the student notebooks into ./my-backprop-course, open JupyterLab
## (`make start COURSE_LANG=ko`: the Korean edition; not LANG=, which is the locale's own variable)
start: $(VENV)/.installed-core
	$(BIN)/bpcourse start $(DIR) $(if $(COURSE_LANG),--lang $(COURSE_LANG))

## test: install with the test, frameworks and cluster extras, and the hub test's environment (first time), then run every test
test: $(VENV)/.installed-test $(HUB_VENV)/.installed $(HUB_NODE)/.installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## test-fast: the unit tests of every module, under a minute: no notebook run, no nbgrader, no sandboxed corpus
## case, no browser, no hub (no npm or chromium needed); `make test` runs them all
test-fast: $(VENV)/.installed-test
	$(BIN)/python -m pytest -m "not slow and not corpus" -q -p no:cacheprovider $(PYTEST_ARGS)

## grader: (instructors) install what grading every assignment needs: the course with PyTorch (CPU) and Keras
grader: $(VENV)/.installed-grader

$(VENV)/.installed-grader: pyproject.toml constraints.txt $(VENV)/.created
	$(PIP) install -c constraints.txt -e ".[frameworks]"
	touch $@ $(VENV)/.installed-core

## release: (instructors) regenerate course/ from solutions/
release: $(VENV)/.installed-core
	$(BIN)/bpcourse release

lint: $(VENV)/.installed-test
	$(BIN)/python -m ruff check bp_helpers grader tests benchmarks deploy solutions course contracts

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	touch $@

$(VENV)/.installed-core: pyproject.toml constraints.txt $(VENV)/.created
	$(PIP) install -c constraints.txt -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml constraints.txt $(VENV)/.created
	$(PIP) install -c constraints.txt -e ".[test,frameworks,cluster]"
	touch $@ $(VENV)/.installed-core

$(HUB_VENV)/.installed: pyproject.toml constraints.txt
	$(HUB_PYTHON) -m venv $(HUB_VENV)
	$(HUB_VENV)/bin/python -m pip --disable-pip-version-check install -c constraints.txt -e ".[hub]"
	touch $@

# configurable-http-proxy 5.2.0: 5.3.0 pulls commander 15, which wants node >= 22.12 (Debian 12 has 20).
$(HUB_NODE)/.installed: Makefile
	npm install --prefix $(HUB_NODE) --no-audit --no-fund --no-save configurable-http-proxy@$(CHP_VERSION)
	touch $@

clean:
	rm -rf $(VENV) $(HUB_VENV) $(HUB_NODE) *.egg-info .pytest_cache .ruff_cache
