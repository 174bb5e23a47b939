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

# The example clients in other languages and their toolchains. Go: the machine's Go 1.26 (`go` from PATH,
# else /usr/local/go/bin/go), module builds only. generated/go is the module
# github.com/glm3/signal-services/generated/go, whose go.mod pins google.golang.org/protobuf, grpc-go and
# genproto's googleapis/rpc (go.sum committed); clients/go is a module of its own that replaces it with
# ../../generated/go. Modules come from the Go module proxy into the default module cache; -mod=readonly
# builds exactly what go.mod and go.sum say, and GOTOOLCHAIN=local keeps the go command from fetching
# another toolchain. The protoc plugins protoc-gen-go and protoc-gen-go-grpc are `go install`ed at the
# versions below into .tools/go/bin (gitignored), where buf.gen.yaml names them. Node: the packages pinned
# in clients/node/package-lock.json (the machine's Node.js 20). `make generate` needs the plugins of both
# (buf runs them), so it installs them too.
GO := $(or $(shell command -v go 2>/dev/null),/usr/local/go/bin/go)
GO_MIN := 1.26
GO_ENV := GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false" GOWORK=off
GO_TOOLS := .tools/go/bin
PROTOC_GEN_GO_VERSION := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.6.2
GO_OUT := clients/go/build
GO_CLIENT := $(GO_OUT)/glm3-stream
GO_SOURCES := $(shell find clients/go/cmd generated/go -name '*.go' 2>/dev/null) \
  $(wildcard clients/go/go.mod clients/go/go.sum generated/go/go.mod generated/go/go.sum)
# Java: the machine's JDK (17 or newer) and Maven. clients/java/pom.xml pins protobuf-java, grpc-java and
# the generators of generated/java (protoc and protoc-gen-grpc-java, Maven Central binaries that `make
# java-plugins` copies into .tools/java/bin); Maven keeps what it fetches in ~/.m2, so after one online
# build `MVN_FLAGS=-o` builds offline.
JAVA_DIR := clients/java
JAVA_TOOLS := .tools/java/bin
JAVA_MIN := 17
MVN_FLAGS ?=
MVN := mvn -B -q -Dstyle.color=never $(MVN_FLAGS)
JAVA_CLIENT := $(JAVA_DIR)/target/glm3-stream.jar
JAVA_SOURCES := $(JAVA_DIR)/pom.xml $(shell find $(JAVA_DIR)/src generated/java -name '*.java' 2>/dev/null)
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
generate: $(STAMP) go-plugins java-plugins $(NODE_DEPS) ## regenerate generated/{python,go,ts,java} from protos/
	rm -rf generated/python generated/ts generated/java
	find generated/go -mindepth 1 -maxdepth 1 ! -name go.mod ! -name go.sum -exec rm -rf {} +
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/buf generate
	cd generated/go && $(GO_ENV) $(GO) build ./...
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
go-toolchain: ## check that the machine's Go is 1.26 or newer (`go` from PATH, else /usr/local/go/bin/go)
	@version=$$($(GO) env GOVERSION 2>/dev/null) || { \
	  echo "no Go toolchain: install Go $(GO_MIN) or newer (looked for go on PATH and /usr/local/go/bin/go)" >&2; \
	  exit 1; }; \
	if [ "$$(printf '%s\n' "$(GO_MIN)" "$${version#go}" | sort -V | head -n1)" != "$(GO_MIN)" ]; then \
	  echo "$(GO) is $$version: generated/go and clients/go need Go $(GO_MIN) or newer" >&2; exit 1; fi

# The protoc plugins for Go at their pinned versions, reinstalled when the one in .tools/go/bin says another.
.PHONY: go-plugins
go-plugins: go-toolchain ## go install the pinned protoc-gen-go and protoc-gen-go-grpc into .tools/go/bin
	@if [ "$$($(GO_TOOLS)/protoc-gen-go --version 2>/dev/null)" != "protoc-gen-go $(PROTOC_GEN_GO_VERSION)" ]; then \
	  echo "go install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION) (into $(GO_TOOLS))"; \
	  GOBIN="$(CURDIR)/$(GO_TOOLS)" $(GO_ENV) $(GO) install \
	    google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION); fi
	@if [ "$$($(GO_TOOLS)/protoc-gen-go-grpc --version 2>/dev/null)" != \
	  "protoc-gen-go-grpc $(PROTOC_GEN_GO_GRPC_VERSION:v%=%)" ]; then \
	  echo "go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION) (into $(GO_TOOLS))"; \
	  GOBIN="$(CURDIR)/$(GO_TOOLS)" $(GO_ENV) $(GO) install \
	    google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION); fi

.PHONY: java-toolchain
java-toolchain: ## check that java (17 or newer) and mvn are installed
	@command -v mvn >/dev/null || { echo "no mvn: install Maven (3.8 or newer) for clients/java" >&2; exit 1; }
	@version=$$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'); \
	if [ -z "$$version" ] || [ "$$version" -lt $(JAVA_MIN) ]; then \
	  echo "java is $${version:-missing}: clients/java needs Java $(JAVA_MIN) or newer" >&2; exit 1; fi

# protoc and protoc-gen-grpc-java at the versions clients/java/pom.xml pins, for buf (buf.gen.yaml).
.PHONY: java-plugins
java-plugins: java-toolchain ## copy the pinned protoc and protoc-gen-grpc-java from Maven into .tools/java/bin
	@if ! $(JAVA_TOOLS)/protoc --version >/dev/null 2>&1 || [ $(JAVA_DIR)/pom.xml -nt $(JAVA_TOOLS)/protoc ]; then \
	  echo "mvn dependency:copy@generator-tools (protoc, protoc-gen-grpc-java into $(JAVA_TOOLS))"; \
	  cd $(JAVA_DIR) && $(MVN) org.apache.maven.plugins:maven-dependency-plugin:copy@generator-tools && cd $(CURDIR) && \
	  chmod +x $(JAVA_TOOLS)/protoc $(JAVA_TOOLS)/protoc-gen-grpc-java && touch $(JAVA_TOOLS)/protoc; fi

$(NODE_DEPS): $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json
	@node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' || { \
	  echo "clients/node needs Node.js 20 or newer (found: $$(node --version 2>&1))" >&2; exit 1; }
	cd $(NODE_DIR) && npm ci --no-audit --no-fund
	touch $@

$(GO_CLIENT): $(GO_SOURCES) | go-toolchain
	cd clients/go && $(GO_ENV) $(GO) build -o build/glm3-stream ./cmd/glm3-stream

$(NODE_CLIENT): $(NODE_DEPS) $(NODE_SOURCES)
	cd $(NODE_DIR) && npm run --silent build
	touch $@

$(JAVA_CLIENT): $(JAVA_SOURCES) | java-toolchain
	cd $(JAVA_DIR) && $(MVN) package

.PHONY: clients
clients: clients-go clients-node clients-java ## build the example clients (Go modules, npm ci, Maven)

.PHONY: clients-go
clients-go: $(GO_CLIENT) ## build clients/go/build/glm3-stream (a Go module build with the machine's Go)

.PHONY: clients-java
clients-java: $(JAVA_CLIENT) ## build clients/java/target/glm3-stream.jar (Maven; its unit tests run too)

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
	rm -rf $(VENV) .pytest_cache build *.egg-info .tools $(GO_OUT) $(NODE_DIR)/node_modules $(NODE_DIR)/dist $(NODE_DIR)/gen \
	  $(JAVA_DIR)/target
