# Tessera: `make run` serves it on the embedded default, `make test` runs the suite.
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app api
UWSGI := $(VENV)/bin/uwsgi
DEV_ENV := TESSERA_ENV=development

.PHONY: run install test lint stack stack-stop backup restore clean

# uWSGI comes as pyuwsgi (a wheel); a venv made when setup.cfg said uwsgi (built from
# source) drops that first, since both own bin/uwsgi.
$(VENV)/.installed: setup.cfg pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip uninstall --quiet --quiet --yes uwsgi
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

## axe-core (accessibility checks) and oidc-client-ts (the single-page app) for the
## browser tests (pinned in package-lock.json).
E2E_NODE := tests/e2e/node_modules/.installed
$(E2E_NODE): tests/e2e/package.json tests/e2e/package-lock.json
	cd tests/e2e && npm ci --no-audit --no-fund --silent
	touch $@

## Migrate the embedded SQLite database, create the demo tenant once, serve both apps.
run: install
	$(DEV_ENV) $(FLASK) db upgrade
	$(DEV_ENV) $(FLASK) demo
	@echo "API on http://localhost:8080, frontend on http://localhost:8000 (Ctrl-C stops both)"
	@trap 'kill 0' INT TERM EXIT; \
	  $(DEV_ENV) $(UWSGI) --ini uwsgi.ini:frontend & \
	  $(DEV_ENV) $(UWSGI) --ini uwsgi.ini:api

## Two API instances and the frontend under uWSGI behind nginx, on DATABASE_URL (PostgreSQL).
stack: install
	$(PY) bin/stack start

stack-stop:
	$(PY) bin/stack stop

## pg_dump / pg_restore of DATABASE_URL (PostgreSQL).
backup:
	bin/db-backup $(FILE)

restore:
	bin/db-restore $(FILE)

## The whole suite; on PostgreSQL when TESSERA_TEST_DATABASE_URL names a server.
test: install lint $(E2E_NODE)
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/flake8 api frontend identifiers observability settings tests migrations bench bin/stack

clean:
	rm -rf $(VENV) instance .pytest_cache test-artifacts .stack tests/e2e/node_modules
