# The two commands: `make run` and `make test` (see README). Nothing else is needed on a
# fresh Linux machine with Python 3.11+, git and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
SIZE ?= small

.PHONY: run test bench install services stop check lint messages clean-db

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q ".[test]"
	rm -rf build *.egg-info
	touch $(STAMP)

install: $(STAMP)

## make run: start PostgreSQL, Redis, web, Celery worker and beat; Ctrl-C stops them all.
run: install
	$(BIN)/python -m sfe.run

## make test: the whole suite (unit, integration, Celery, browser) on the embedded servers.
test: install
	$(BIN)/python -m sfe.testrun $(ARGS)

## make bench SIZE=small|medium|large: benchmarks -> bench/results.json and bench/results.md
bench: install
	$(BIN)/python -m bench.run --size $(SIZE)

services: install
	$(BIN)/python -m sfe.embedded up

stop:
	$(BIN)/python -m sfe.embedded down

## make messages: refresh the zh-Hans catalogue (needs gettext), then translate and compile
messages: install
	$(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete --ignore=.venv --ignore=var \
		--ignore=staticfiles --ignore=bench --ignore=tests
	$(BIN)/python manage.py compilemessages -l zh_Hans --ignore=.venv

clean-db: stop
	rm -rf var/pgdata var/run
