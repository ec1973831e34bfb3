# zkensemble — a ZooKeeper-compatible server (and, to come, the Kubernetes operator that runs it).
#
# make test runs every test; it installs what it needs (Debian packages) itself.

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

GO  ?= go
BIN := $(CURDIR)/bin

CONTROLLER_GEN_VERSION := v0.23.0
CONTROLLER_GEN         := $(BIN)/controller-gen-$(CONTROLLER_GEN_VERSION)

# Short fuzzing in `make test`; `make fuzz FUZZTIME=10m` for a longer run.
FUZZTIME ?= 15s

.PHONY: all
all: build

##@ Build

.PHONY: build
build: ## Build the server binary into bin/.
	$(GO) build -o $(BIN)/zkensemble-server ./cmd/zkensemble-server

.PHONY: run
run: build ## Run a standalone server on 127.0.0.1:2181 (admin HTTP on :8080) with hack/zoo.cfg.
	mkdir -p $(CURDIR)/tmp/data
	$(BIN)/zkensemble-server hack/zoo.cfg --dataDir $(CURDIR)/tmp/data

##@ Development

.PHONY: deps
deps: ## Install the Debian packages tests use (ZooKeeper 3.8, its C client, kazoo) when missing.
	hack/install-deps.sh

$(CONTROLLER_GEN):
	GOBIN=$(BIN) $(GO) install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_GEN_VERSION)
	mv $(BIN)/controller-gen $(CONTROLLER_GEN)

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Generate the CRD from the API markers (config/crd/bases).
	$(CONTROLLER_GEN) crd paths="./api/..." output:crd:artifacts:config=config/crd/bases

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate the API's DeepCopy methods.
	$(CONTROLLER_GEN) object:headerFile=hack/boilerplate.go.txt paths="./api/..."

.PHONY: verify-generated
verify-generated: manifests generate ## Fail if generated files differ from what is committed.
	hack/verify-generated.sh

.PHONY: fmt-check
fmt-check: ## Fail if any Go file is not gofmt-formatted.
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

.PHONY: vet
vet: ## go vet every package.
	$(GO) vet ./...

.PHONY: lint
lint: ## golangci-lint with the repository's .golangci.yml (built from the Go module proxy).
	GOBIN=$(BIN) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.12.2
	$(BIN)/golangci-lint run ./...

##@ Test

.PHONY: test
test: deps fmt-check vet verify-generated ## Run every test: unit, integration against ZooKeeper 3.8 and real clients, race, fuzz.
	$(GO) test -count=1 -timeout 30m ./...
	$(MAKE) race
	$(MAKE) fuzz FUZZTIME=$(FUZZTIME)

.PHONY: race
race: ## The packages under the race detector.
	$(GO) test -race -count=1 -timeout 20m ./pkg/...

.PHONY: fuzz
fuzz: ## Fuzz the wire decoder and the request dispatcher for FUZZTIME each.
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeRequest$$' -fuzztime $(FUZZTIME) ./pkg/wire/
	$(GO) test -run '^$$' -fuzz '^FuzzReadFrame$$' -fuzztime $(FUZZTIME) ./pkg/wire/
	$(GO) test -run '^$$' -fuzz '^FuzzDispatch$$' -fuzztime $(FUZZTIME) ./pkg/sessionserver/

##@ Benchmarks

.PHONY: bench
bench: build ## Print ensemble figures: write throughput at 1/16/64 clients, a 10,000-session expiry storm.
	$(GO) test -run '^$$' -bench 'EnsembleWrites|ExpiryStorm' -benchtime 1x -timeout 20m ./cmd/zkensemble-server/

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z_-]+:.*?##/ { printf "  %-18s %s\n", $$1, $$2 } /^##@/ { printf "\n%s\n", substr($$0, 5) }' $(MAKEFILE_LIST)
