# zkensemble — a ZooKeeper-compatible server replicated on Raft, and the Kubernetes operator that runs it.
#
# The two commands a newcomer needs:
#   make demo   a real single-node Kubernetes cluster, the operator installed, a 3-member ZKEnsemble serving clients
#   make test   every test (installs what it needs: Debian packages, tools built from Go modules)

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

GO            ?= go
BIN           := $(CURDIR)/bin
ZKE_CACHE     ?= $(HOME)/.cache/zkensemble
export ZKE_CACHE

CONTROLLER_GEN_VERSION := v0.23.0
CONTROLLER_GEN         := $(BIN)/controller-gen-$(CONTROLLER_GEN_VERSION)

# Short fuzzing in `make test`; `make fuzz FUZZTIME=10m` for a longer run.
FUZZTIME ?= 15s

.PHONY: all
all: build

##@ Build

.PHONY: build
build: ## Build the server and the operator binaries into bin/.
	$(GO) build -o $(BIN)/zkensemble-server ./cmd/zkensemble-server
	$(GO) build -o $(BIN)/manager ./cmd/manager

##@ Development

.PHONY: deps
deps: ## Install the Debian packages tests use (ZooKeeper 3.8, its C client, kazoo, etcd) when missing.
	hack/install-deps.sh

$(CONTROLLER_GEN):
	GOBIN=$(BIN) $(GO) install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_GEN_VERSION)
	mv $(BIN)/controller-gen $(CONTROLLER_GEN)

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Generate the CRD, RBAC and webhook manifests from the markers, and the chart's CRD copy.
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd webhook paths="./api/..." paths="./controllers/..." paths="./internal/..." output:crd:artifacts:config=config/crd/bases
	hack/sync-chart-crds.sh

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate DeepCopy methods.
	$(CONTROLLER_GEN) object:headerFile=hack/boilerplate.go.txt paths="./api/..."

.PHONY: verify-generated
verify-generated: manifests generate ## Fail if generated files differ from what is committed.
	hack/verify-generated.sh

.PHONY: fmt-check
fmt-check: ## Fail if any Go file is not gofmt-formatted.
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^vendor/')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

.PHONY: vet
vet: ## go vet every package.
	$(GO) vet ./...

.PHONY: lint
lint: ## golangci-lint with the repository's .golangci.yml.
	GOBIN=$(BIN) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.12.2
	$(BIN)/golangci-lint run ./...

.PHONY: envtest-assets
envtest-assets: ## Build kube-apiserver from the Go module proxy and locate etcd for envtest (cached).
	hack/envtest-assets.sh

##@ Test

.PHONY: test
test: deps fmt-check vet verify-generated envtest-assets ## Run every test.
	KUBEBUILDER_ASSETS="$$(hack/envtest-assets.sh)" $(GO) test -count=1 -timeout 45m ./...
	$(MAKE) fuzz FUZZTIME=$(FUZZTIME)

.PHONY: fuzz
fuzz: ## Fuzz the wire decoder and the request dispatcher for FUZZTIME each.
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeRequest$$' -fuzztime $(FUZZTIME) ./pkg/wire/
	$(GO) test -run '^$$' -fuzz '^FuzzReadFrame$$' -fuzztime $(FUZZTIME) ./pkg/wire/
	$(GO) test -run '^$$' -fuzz '^FuzzDispatch$$' -fuzztime $(FUZZTIME) ./pkg/sessionserver/

.PHONY: race
race: ## The concurrency-heavy packages under the race detector.
	$(GO) test -race -count=1 ./pkg/datatree/... ./pkg/watches/... ./pkg/sessionserver/... ./pkg/zkclient/...

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z_-]+:.*?##/ { printf "  %-18s %s\n", $$1, $$2 } /^##@/ { printf "\n%s\n", substr($$0, 5) }' $(MAKEFILE_LIST)
