# The two commands: `make run` (serve the demo) and `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format install clean translations

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/k2k demo load --if-empty
	$(BIN)/k2k serve --host 127.0.0.1 --port 8000

test: $(STAMP)
	$(BIN)/pytest -n 4

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# After changing a page's text: extract it, merge it into the Malay catalogue, translate the new
# entries in service/web/translations/ms/LC_MESSAGES/messages.po, then run this again to compile.
translations: $(STAMP)
	mkdir -p var
	$(BIN)/python -m service.web.catalogue var/messages.pot
	$(BIN)/pybabel update -i var/messages.pot -d service/web/translations --no-fuzzy-matching \
		--ignore-obsolete
	$(BIN)/pybabel compile -d service/web/translations --statistics

clean:
	rm -rf $(VENV) var
