# The two commands: `make demo` transcribes the shipped sample end to end; `make test` runs every test.
# Both set up what they need on a fresh Debian machine: .venv with pinned packages, and PostgreSQL.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: demo test lint bench setup postgres espeak clean

setup: $(STAMP) postgres espeak

$(STAMP): pyproject.toml src/requirements.txt
	bash scripts/ensure-venv.sh $(PYTHON) $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[local,dev]'
	touch $(STAMP)

postgres:
	@bash scripts/ensure-postgres.sh

espeak:
	@bash scripts/ensure-espeak.sh

demo: setup
	$(BIN)/mediascribe transcribe samples/speech-sample.mp3 --out demo-output

test: setup
	bash scripts/run-tests.sh $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check src functions tests bench
	$(BIN)/ruff format --check src functions tests bench
	bash scripts/check-template.sh
	$(BIN)/python -m mediascribe.local.asl_lint statemachine/transcribe_media.asl.json

bench: setup
	for script in bench/bench_*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .aws-sam demo-output .pytest_cache
