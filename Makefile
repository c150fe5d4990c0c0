# Kommunal PRO — targets a newcomer can guess. Every target installs what it needs on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CDK := node_modules/.bin/cdk
NODE_STAMP := node_modules/.installed
ENV ?= test
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: dev web run test unit integration infra-tests e2e fuzz lint format typecheck synth diff deploy openapi token clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[infra,dev]'
	touch $(STAMP)

WEB_SOURCES := $(shell find web/src web/index.html web/dev.html web/vite.config.ts docs/openapi.json -type f 2>/dev/null)

web/node_modules/.installed: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --silent
	touch $@

/usr/bin/chromium:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

web/dist/index.html: web/node_modules/.installed $(WEB_SOURCES)
	cd web && npm run build --silent

web: web/dist/index.html         ## build the web client (citizen app) when its sources changed

$(NODE_STAMP): package.json  # the CDK CLI, Swagger UI for /docs, the TypeScript client generator and tsc
	npm install --no-audit --no-fund --silent
	touch $(NODE_STAMP)

dev: $(STAMP)                    ## create the virtualenv with everything

run: $(STAMP) $(NODE_STAMP) web/dist/index.html  ## the whole system locally: API, embedded DynamoDB, seed, jobs
	$(BIN)/python -m local

test: $(STAMP) $(NODE_STAMP) web/dist/index.html /usr/bin/chromium  ## lint, type check and every test
	$(BIN)/ruff check .
	$(BIN)/mypy layers/shared/python functions local infra tests
	cd web && npx vitest run
	$(BIN)/python -m pytest -n 2 --dist loadgroup

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

integration: $(STAMP)
	$(BIN)/python -m pytest tests/integration

infra-tests: $(STAMP)
	$(BIN)/python -m pytest tests/infra

e2e: $(STAMP) $(NODE_STAMP)
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

synth: $(STAMP) $(NODE_STAMP)  ## synthesise one environment: make synth ENV=pilot
	$(CDK) synth -c env=$(ENV) --quiet

diff: $(STAMP) $(NODE_STAMP)
	$(CDK) diff -c env=$(ENV)

deploy: $(STAMP) $(NODE_STAMP)  ## synthesise once, check the account's Lambda quota, deploy that assembly
	$(CDK) synth -c env=$(ENV) --quiet
	$(BIN)/python -m infra.quota cdk.out/KommunalPro-$(ENV).template.json
	$(CDK) deploy --app cdk.out

clean:
	rm -rf $(VENV) node_modules cdk.out build .pytest_cache
