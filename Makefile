# TĐKT Flow: developer and CI entry points.
#
#   make setup   virtualenv + Python packages + browser assets + compiled translations
#                (only what changed)
#   make run     migrate, load the demo data and serve on 127.0.0.1:$TDKT_PORT (default 5000)
#   make test    the whole test suite; extra pytest arguments go in PYTEST_ARGS
#   make lint    ruff
#   make bench   the route benchmark (bench/README.md); extra arguments go in BENCH_ARGS
#   make clean   remove local data and test artefacts (keeps .venv and node_modules)
#
# TDKT_PORT, TDKT_VAR_DIR and the other TDKT_* settings reach the commands through the
# environment, whether they are exported by the shell or given on the make command line.
# They are deliberately not `export`ed here: that would hand an empty value to the service
# when they are unset, instead of letting it use its defaults.

PYTHON ?= python3
VENV := .venv
PIP := $(VENV)/bin/pip
FLASK := $(VENV)/bin/flask --app service.app
PYTEST_ARGS ?=
BENCH_ARGS ?=

PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
# One compiled catalogue (.mo, not committed) per translation (.po) in service/translations.
MO_FILES := $(patsubst %.po,%.mo,$(wildcard service/translations/*/LC_MESSAGES/messages.po))

.PHONY: setup run test lint bench clean

setup: $(PY_STAMP) $(NODE_STAMP) $(MO_FILES)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the project's dependencies may have changed.
$(PY_STAMP): pyproject.toml | $(VENV)/bin/python
	$(PIP) install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

# `npm ci` installs exactly what the lock file records; without a lock file there is
# nothing to be exact about, so `npm install` resolves one.
$(NODE_STAMP): package.json $(wildcard package-lock.json)
	if [ -f package-lock.json ]; then \
		npm ci --no-audit --no-fund; \
	else \
		npm install --no-audit --no-fund; \
	fi
	touch $@

# Recompile a language only when its .po is newer than its .mo.
service/translations/%/LC_MESSAGES/messages.mo: service/translations/%/LC_MESSAGES/messages.po | $(PY_STAMP)
	$(VENV)/bin/pybabel compile -d service/translations -l $*

run: setup
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	$(FLASK) run --no-debugger --no-reload --host 127.0.0.1 --port "$${TDKT_PORT:-5000}"

test: setup
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: $(PY_STAMP)
	$(VENV)/bin/ruff check .

bench: setup
	$(VENV)/bin/python -m bench.route $(BENCH_ARGS)

clean:
	rm -rf var test-artifacts .pytest_cache .ruff_cache htmlcov .coverage .coverage.*
	find . -path ./$(VENV) -prune -o -path ./node_modules -prune -o \
		-type d -name __pycache__ -prune -exec rm -rf {} +
