# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
PIP_INSTALL := $(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt

.PHONY: run test lint format migrate check clean messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(PIP_INSTALL) -e .
	@touch $@

$(TEST_STAMP): $(RUN_STAMP)
	$(PIP_INSTALL) -e '.[test]'
	@touch $@

## run: install into .venv, apply migrations, start the bot (long polling)
run: $(RUN_STAMP)
	$(BIN)/python -m bot run

## test: install into .venv and run the whole test suite (TEST_DATABASE_URL picks PostgreSQL)
test: $(TEST_STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(TEST_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrate: $(RUN_STAMP)
	$(BIN)/python -m bot migrate

check: $(RUN_STAMP)
	$(BIN)/python -m bot check

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info

# Translations (see README, "Languages"): collect every marked msgid into the template and
# merge it into each language's catalog; translators then fill in the empty entries.
LOCALES := bot/locales
KEYWORDS := --no-default-keywords -k _ -k n_:1,2 -k p_:1c,2 -k N_ -k Np_:1c,2
messages: $(TEST_STAMP)
	$(BIN)/pybabel extract -F babel.cfg $(KEYWORDS) --add-comments=Translators: \
		--sort-by-file --no-location --project=exercise-therapy-bot -o $(LOCALES)/messages.pot .
	$(BIN)/pybabel update -i $(LOCALES)/messages.pot -d $(LOCALES) -D messages --ignore-obsolete
