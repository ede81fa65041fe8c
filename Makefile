# The project's contract: `make test` on a clean clone installs and runs everything.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# One pytest worker per core (at most four); `make test PYTEST_ARGS=` runs them in one.
PYTEST_ARGS ?= -n auto --maxprocesses=4

.PHONY: test demo lint fmt install bench clean

test: $(STAMP)
	$(BIN)/ruff check .
	@# pytest exits 5 when it collected nothing (e.g. a -k that matches no test): not a failure.
	@# It is handled here because make flattens every failing exit code to 2.
	$(BIN)/pytest $(PYTEST_ARGS) || { s=$$?; if [ $$s -eq 5 ]; then echo "pytest collected no tests"; exit 0; fi; exit $$s; }

# The whole story in a minute: four emulators on 127.0.0.1:8701-8704, the hub against them.
demo: $(STAMP)
	$(BIN)/itsmhub --config config.example.toml demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

install: $(STAMP)

# Reinstall whenever the dependency list changes.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .demo
