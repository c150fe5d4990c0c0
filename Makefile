# Kommunal PRO — targets a newcomer can guess. Every target installs what it needs on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CDK := node_modules/.bin/cdk
ENV ?= test
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: dev run test unit integration infra-tests e2e fuzz lint format typecheck synth diff deploy openapi token clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[infra,dev]'
	touch $(STAMP)

$(CDK): package.json
	npm install --no-audit --no-fund --silent
	touch $(CDK)

dev: $(STAMP)                    ## create the virtualenv with everything

run: $(STAMP)                    ## the whole system locally: API, embedded DynamoDB, seed, jobs
	$(BIN)/python -m local

test: $(STAMP)                   ## lint, type check and every test: unit, integration, infra, e2e
	$(BIN)/ruff check .
	$(BIN)/mypy layers/shared/python functions local infra tests
	$(BIN)/python -m pytest -n 2 --dist loadgroup

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

integration: $(STAMP)
	$(BIN)/python -m pytest tests/integration

infra-tests: $(STAMP)
	$(BIN)/python -m pytest tests/infra

e2e: $(STAMP)
	$(BIN)/python -m pytest tests/e2e

fuzz: $(STAMP)                   ## Schemathesis over HTTP against the local runner, 10x the CI cases
	$(BIN)/python -m tests.fuzz.campaign $(FUZZ_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

typecheck: $(STAMP)
	$(BIN)/mypy layers/shared/python functions local infra tests

openapi: $(STAMP)                ## write docs/openapi.json, the document the local runner serves at /openapi.json
	$(BIN)/python -m local.openapi

token: $(STAMP)                  ## a dev token: make token ROLE=employee MUNICIPALITY=0751 (citizen: CPR=...)
	@$(BIN)/python -m local.tokens --role $(or $(ROLE),employee) --municipality $(or $(MUNICIPALITY),0751) \
		$(if $(CPR),--cpr $(CPR))

synth: $(STAMP) $(CDK)           ## synthesise one environment: make synth ENV=pilot
	$(CDK) synth -c env=$(ENV) --quiet

diff: $(STAMP) $(CDK)
	$(CDK) diff -c env=$(ENV)

deploy: $(STAMP) $(CDK)          ## synthesise once, check the account's Lambda quota, deploy that assembly
	$(CDK) synth -c env=$(ENV) --quiet
	$(BIN)/python -m infra.quota cdk.out/KommunalPro-$(ENV).template.json
	$(CDK) deploy --app cdk.out

clean:
	rm -rf $(VENV) node_modules cdk.out build .pytest_cache
