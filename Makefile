# The two commands: `make demo` transcribes the shipped sample end to end; `make test` runs every test.
# Both set up what they need on a fresh Debian machine: .venv with pinned packages, and PostgreSQL.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: demo test unit integration rehearsal infra e2e lint bench setup postgres espeak chromium clean

setup: $(STAMP) postgres espeak chromium

$(STAMP): pyproject.toml src/requirements.txt
	bash scripts/ensure-venv.sh $(PYTHON) $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[local,dev]'
	touch $(STAMP)

postgres:
	@bash scripts/ensure-postgres.sh

espeak:
	@bash scripts/ensure-espeak.sh

chromium:
	@bash scripts/ensure-chromium.sh

demo: setup
	$(BIN)/mediascribe transcribe samples/speech-sample.mp3 --out demo-output

test: setup
	bash scripts/run-tests.sh $(PYTEST_ARGS)

# The tiers of `make test`, by cost. unit: no PostgreSQL, no moto, no slow tests (seconds).
unit: $(STAMP) espeak
	bash scripts/run-pytest.sh -m "unit and not slow" $(PYTEST_ARGS)

integration: setup
	bash scripts/run-pytest.sh -m integration $(PYTEST_ARGS)

# The stack as deployed: each function with its template configuration, every AWS call judged by its role.
rehearsal: setup
	bash scripts/run-pytest.sh -m rehearsal $(PYTEST_ARGS)

infra: $(STAMP)
	bash scripts/check-template.sh
	bash scripts/run-pytest.sh -m infra $(PYTEST_ARGS)

# Against a deployed stack: AWS_SAM_STACK_NAME names it (the API address comes from its outputs).
e2e: $(STAMP)
	@if [ -z "$$AWS_SAM_STACK_NAME" ]; then \
	  echo "e2e: skipped: set AWS_SAM_STACK_NAME to a deployed stack to run it"; \
	else \
	  bash scripts/run-pytest.sh -m e2e tests/e2e $(PYTEST_ARGS); \
	fi

lint: setup
	$(BIN)/ruff check src functions tests bench
	$(BIN)/ruff format --check src functions tests bench
	$(BIN)/mypy
	bash scripts/check-template.sh
	$(BIN)/python -m mediascribe.local.asl_lint statemachine/transcribe_media.asl.json

bench: setup
	for script in bench/bench_*.py; do PYTHONPATH=tests:bench $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .aws-sam demo-output .pytest_cache
