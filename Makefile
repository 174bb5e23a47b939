# The project's commands. `make help` lists them.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PROTO_FILES := $(shell find protos -name '*.proto' | sort)
PYTEST_ARGS ?=

.PHONY: help
help: ## list the commands
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

.PHONY: setup
setup: $(STAMP) ## create .venv and install the project with its dev tools

.PHONY: run
run: $(STAMP) ## start both servers on the embedded default (LanceDB under ./data); Ctrl-C stops them
	@trap 'kill -TERM $$scoring $$ops 2>/dev/null; wait' INT TERM; \
	$(BIN)/glm3-scoring-server & scoring=$$!; \
	$(BIN)/glm3-ops-server & ops=$$!; \
	wait

.PHONY: test
test: $(STAMP) ## run the whole test suite
	$(BIN)/python -m pytest $(PYTEST_ARGS)

.PHONY: generate
generate: $(STAMP) ## regenerate generated/python from protos/
	rm -rf generated/python
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/buf generate
	$(BIN)/python -m grpc_tools.protoc -Iprotos -Ithird_party/googleapis \
	  --python_out=generated/python --grpc_python_out=generated/python $(PROTO_FILES:protos/%=%)
	$(BIN)/python scripts/finish_generated.py generated/python

.PHONY: check-generated
check-generated: generate ## fail if regenerating changes or adds any file under generated/
	@if [ -n "$$(git status --porcelain -- generated)" ]; then \
	  echo "generated/ is stale: run 'make generate' and commit the result" >&2; \
	  git status --porcelain -- generated >&2; exit 1; fi

.PHONY: lint
lint: $(STAMP) ## buf lint and buf format check of protos/
	$(BIN)/buf lint
	$(BIN)/buf format --diff --exit-code

.PHONY: breaking
breaking: $(STAMP) ## buf breaking-change check of protos/ against the main branch
	$(BIN)/buf breaking --against '.git#branch=main'

.PHONY: clean
clean: ## remove the virtual environment and caches (keeps ./data)
	rm -rf $(VENV) .pytest_cache build *.egg-info
