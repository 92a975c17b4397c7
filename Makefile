# SSE Hub: `make run` serves the hub, `make test` runs the whole suite. Both install what
# they need into .venv first (again only when pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HASH := $(shell sha1sum pyproject.toml | cut -c1-12)
RUN_STAMP := $(VENV)/.run-$(HASH)
DEV_STAMP := $(VENV)/.dev-$(HASH)
PYTEST_ARGS ?=

.PHONY: run test test-postgres e2e bench lint messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	rm -f $(VENV)/.run-* && touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[dev]"
	rm -f $(VENV)/.dev-* $(VENV)/.run-* && touch $@ $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/ssehub run --port $(PORT)

test: $(DEV_STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The same suite against PostgreSQL: DATABASE_URL=postgres://user:pass@127.0.0.1:5432/ssehub
test-postgres: $(DEV_STAMP)
	@case "$$DATABASE_URL" in postgres*) ;; *) echo "set DATABASE_URL=postgres://..." >&2; exit 2;; esac
	$(BIN)/python -m pytest $(PYTEST_ARGS)

e2e: $(DEV_STAMP)
	SSEHUB_REQUIRE_BROWSER=1 $(BIN)/python -m pytest tests/e2e $(PYTEST_ARGS)

bench: $(DEV_STAMP)
	$(BIN)/pip install -q -e ".[dev,bench]"
	$(BIN)/python bench/run.py

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests bench

# Regenerate and compile the gettext catalogues (needs GNU gettext: apt-get install gettext).
# The surveys and calls apps keep their own catalogues (src/ssehub/<app>/locale/).
APP_CATALOGUES := surveys calls
messages: $(DEV_STAMP)
	cd src/ssehub && ../../$(BIN)/ssehub makemessages -l fr -l es -l en --no-obsolete \
		$(foreach app,$(APP_CATALOGUES),--ignore '$(app)/*')
	for app in $(APP_CATALOGUES); do \
		(cd src/ssehub/$$app && ../../../$(BIN)/ssehub makemessages -l fr -l es -l en --no-obsolete) || exit 1; \
	done
	cd src/ssehub && ../../$(BIN)/ssehub compilemessages

clean:
	rm -rf $(VENV) build *.egg-info
