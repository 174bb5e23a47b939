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

# The example clients in other languages and their toolchains: Debian's Go 1.19 world (grpc-go 1.33,
# golang/protobuf 1.3 APIv1, protoc-gen-go, protoc-gen-go-grpc), built in GOPATH mode against the packages
# in /usr/share/gocode; and the Node packages pinned in clients/node/package-lock.json (the machine's
# Node.js 20). `make generate` needs both (buf runs their protoc plugins), so it installs them too.
GO_DEBS := golang-go golang-google-grpc-dev golang-goprotobuf-dev protoc-gen-go-grpc protobuf-compiler
APT_GET := $(if $(filter 0,$(shell id -u)),,sudo )apt-get
GO_OUT := clients/go/build
# generated/go's import path (buf.gen.yaml's go_package_prefix, less /generated/go): the repository is
# linked there inside a private GOPATH, so the client imports the generated packages in place.
GO_IMPORT := github.com/glm3/signal-services
GO_ENV := GO111MODULE=off GOPROXY=off GOFLAGS= GOPATH="$(CURDIR)/$(GO_OUT)/gopath:/usr/share/gocode" \
  GOCACHE="$(CURDIR)/$(GO_OUT)/cache"
GO_CLIENT := $(GO_OUT)/glm3-stream
GO_SOURCES := $(shell find clients/go/cmd generated/go -name '*.go' 2>/dev/null)
NODE_DIR := clients/node
NODE_DEPS := $(NODE_DIR)/node_modules/.package-lock.json
NODE_CLIENT := $(NODE_DIR)/dist/src/glm3-stream.js
NODE_SOURCES := $(shell find $(NODE_DIR)/src generated/ts -name '*.ts' 2>/dev/null) $(NODE_DIR)/tsconfig.json

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
# LOG=text or LOG=json: the servers' log format (default: text when stderr is a terminal, else JSON).
run: $(STAMP) ## start both servers on the embedded default (LanceDB under ./data); Ctrl-C stops them
	@$(BIN)/python -m glm3.servers.launch $(if $(LOG),--log $(LOG))

.PHONY: test
test: $(STAMP) ## run the whole test suite
	$(BIN)/python -m pytest $(PYTEST_ARGS)

FUZZ_EXAMPLES ?= 20000
.PHONY: fuzz
fuzz: $(STAMP) ## fuzz every RPC of both servers for long (FUZZ_EXAMPLES=20000; make test runs 300)
	GLM3_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/fuzz -q

# The bench-only dependencies (the REST baseline, profilers): pyproject's `bench` extra, never the servers'.
BENCH_STAMP := $(VENV)/.installed-bench
$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $@

.PHONY: bench
bench: $(BENCH_STAMP) ## run every benchmark (ratios against baselines measured in the same run; bench/results/*.json)
	$(BIN)/python -m bench.run

.PHONY: bench-quick
bench-quick: $(BENCH_STAMP) ## the benchmarks at small sizes, under 2 minutes: a sanity check
	$(BIN)/python -m bench.run --quick

.PHONY: generate
generate: $(STAMP) go-toolchain $(NODE_DEPS) ## regenerate generated/python, generated/go and generated/ts from protos/
	rm -rf generated/python generated/go generated/ts
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/buf generate
	$(BIN)/python -m grpc_tools.protoc -Iprotos -Ithird_party/googleapis \
	  --python_out=generated/python --grpc_python_out=generated/python $(PROTO_FILES:protos/%=%)
	$(BIN)/python scripts/finish_generated.py generated/python
	$(BIN)/buf build --as-file-descriptor-set -o generated/python/glm3/contracts.binpb

.PHONY: check-generated
check-generated: generate ## fail if regenerating changes or adds any file under generated/
	@if [ -n "$$(git status --porcelain -- generated)" ]; then \
	  echo "generated/ is stale: run 'make generate' and commit the result" >&2; \
	  git status --porcelain -- generated >&2; exit 1; fi

.PHONY: go-toolchain
go-toolchain: ## install Debian's Go toolchain, grpc-go, golang/protobuf and protoc plugins when missing
	@dpkg -s $(GO_DEBS) >/dev/null 2>&1 || { \
	  $(APT_GET) update -qq && DEBIAN_FRONTEND=noninteractive $(APT_GET) install -y -qq $(GO_DEBS); }

$(NODE_DEPS): $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json
	@node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' || { \
	  echo "clients/node needs Node.js 20 or newer (found: $$(node --version 2>&1))" >&2; exit 1; }
	cd $(NODE_DIR) && npm ci --no-audit --no-fund
	touch $@

$(GO_CLIENT): $(GO_SOURCES) | go-toolchain
	mkdir -p $(GO_OUT)/gopath/src/$(dir $(GO_IMPORT))
	ln -sfn "$(CURDIR)" $(GO_OUT)/gopath/src/$(GO_IMPORT)
	$(GO_ENV) go build -o $@ $(GO_IMPORT)/clients/go/cmd/glm3-stream

$(NODE_CLIENT): $(NODE_DEPS) $(NODE_SOURCES)
	cd $(NODE_DIR) && npm run --silent build
	touch $@

.PHONY: clients
clients: clients-go clients-node ## install the Go and Node toolchains and build the example clients

.PHONY: clients-go
clients-go: $(GO_CLIENT) ## build clients/go/build/glm3-stream (Debian's Go, GOPATH mode)

.PHONY: clients-node
clients-node: $(NODE_CLIENT) ## build clients/node/dist (npm ci from the committed lockfile)

.PHONY: lint
lint: $(STAMP) ## buf lint and buf format check of protos/
	$(BIN)/buf lint
	$(BIN)/buf format --diff --exit-code

# What `make breaking` compares with: BREAKING_AGAINST if given (a git ref), else the newest release tag
# (v*), else the merge base with origin/main when HEAD is not on it, else the commit before HEAD (on main,
# the change being landed). Never HEAD itself: a check of main against main proves nothing.
BREAKING_BASE = $(or $(BREAKING_AGAINST),$(shell \
  git describe --tags --abbrev=0 --match 'v*' 2>/dev/null || { \
  base=$$(git merge-base HEAD origin/main 2>/dev/null || true); \
  if [ -n "$$base" ] && [ "$$base" != "$$(git rev-parse HEAD)" ]; then echo "$$base"; \
  else git rev-parse --verify --quiet HEAD~1 || true; fi; }))

.PHONY: breaking
breaking: $(STAMP) ## buf breaking-change check of protos/ against the last release tag, or the merge base / previous commit
	@if [ -z "$(BREAKING_BASE)" ]; then echo "breaking: no earlier commit or tag to compare with; skipped"; \
	else echo "buf breaking against $(BREAKING_BASE)"; $(BIN)/buf breaking --against '.git#ref=$(BREAKING_BASE)'; fi

.PHONY: clean
clean: ## remove the virtual environment, caches and client builds (keeps ./data)
	rm -rf $(VENV) .pytest_cache build *.egg-info $(GO_OUT) $(NODE_DIR)/node_modules $(NODE_DIR)/dist $(NODE_DIR)/gen
