# zkensemble — a ZooKeeper-compatible server and the Kubernetes operator that runs it.
#
# make test runs every test; it installs what it needs (Debian packages) itself.

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

GO  ?= go
BIN := $(CURDIR)/bin

CONTROLLER_GEN_VERSION := v0.23.0
CONTROLLER_GEN         := $(BIN)/controller-gen-$(CONTROLLER_GEN_VERSION)
HELM_VERSION           := v4.3.2
HELM                   := $(BIN)/helm-$(HELM_VERSION)
# promtool checks the chart's alert rules (test/install); built once, cached.
PROMTOOL_VERSION       := v0.316.0
PROMTOOL               := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/zkensemble/promtool/promtool-$(PROMTOOL_VERSION)

# The local cluster's state and build cache (hack/localcluster); envtest uses
# its kube-apiserver and kubectl, and Debian's etcd.
LC_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/zkensemble/localcluster
export LC_DIR
ENVTEST_ENV := TEST_ASSET_KUBE_APISERVER=$(LC_DIR)/bin/kube-apiserver TEST_ASSET_ETCD=/usr/bin/etcd \
	KUBECTL=$(LC_DIR)/bin/kubectl HELM=$(HELM) PROMTOOL=$(PROMTOOL) ZKE_REQUIRE_ENVTEST=1

# Images of the operator and the server (built without Docker for the local
# cluster, by `docker build` for users with Docker: see the Dockerfile).
SERVER_IMAGE   ?= docker.io/zkensemble/server:dev
MANAGER_IMAGE  ?= docker.io/zkensemble/manager:dev
export SERVER_IMAGE MANAGER_IMAGE

# Short fuzzing in `make test`, counted in executions: a time limit can end a
# run mid-minimization on a loaded machine and report "context deadline
# exceeded". `make fuzz FUZZTIME=10m FUZZTIME_DISPATCH=10m` for a longer run.
FUZZTIME ?= 500000x
FUZZTIME_DISPATCH ?= 40000x

.PHONY: all
all: build

##@ Build

# The version every binary reports (--version, srvr): git describe (hack/version.sh).
VERSION ?= $(shell hack/version.sh)
LDFLAGS := -X github.com/zkensemble/zkensemble/pkg/version.Version=$(VERSION)
export VERSION

.PHONY: build
build: ## Build the server, its command-line client (zkcli), the operator (manager) and the kubectl plugin (kubectl-zke) into bin/.
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)/zkensemble-server ./cmd/zkensemble-server
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)/zkcli ./cmd/zkcli
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)/manager ./cmd/manager
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)/kubectl-zke ./cmd/kubectl-zke

.PHONY: run
run: build ## Run a standalone server on 127.0.0.1:2181 (admin HTTP on :8080) with hack/zoo.cfg.
	mkdir -p $(CURDIR)/tmp/data
	$(BIN)/zkensemble-server hack/zoo.cfg --dataDir $(CURDIR)/tmp/data

.PHONY: images
images: build ## Build the server and operator images without Docker; import them into the local cluster if it runs.
	IMPORT=$$([ -S /run/localcluster/containerd.sock ] && echo 1 || echo 0) hack/images.sh

.PHONY: images-multiarch
images-multiarch: ## Build the server and operator images for linux/amd64 and linux/arm64 as OCI index tarballs in bin/images/ (no Docker, no registry).
	hack/images-multiarch.sh

.PHONY: release
release: tools ## Into dist/: the chart package, the CRDs as one YAML, the multi-arch image archives, the plugin archives and krew manifest, SHA256SUMS (at VERSION).
	HELM=$(HELM) hack/release.sh

.PHONY: demo
demo: deps build tools ## The main job: local cluster (or KUBECONFIG's), operator installed with Helm, a 3-member ZKEnsemble serving a client.
	hack/demo.sh

##@ Development

.PHONY: deps
deps: ## Install the Debian packages tests use (ZooKeeper 3.8, its C client, kazoo) when missing.
	hack/install-deps.sh

$(CONTROLLER_GEN):
	GOBIN=$(BIN) $(GO) install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_GEN_VERSION)
	mv $(BIN)/controller-gen $(CONTROLLER_GEN)

$(HELM):
	CGO_ENABLED=0 GOBIN=$(BIN) $(GO) install helm.sh/helm/v4/cmd/helm@$(HELM_VERSION) # static: it also runs in the e2e runner image
	mv $(BIN)/helm $(HELM)
	ln -sf $(notdir $(HELM)) $(BIN)/helm

$(PROMTOOL):
	hack/build-promtool.sh $(PROMTOOL_VERSION) $@

.PHONY: promtool
promtool: $(PROMTOOL) ## Build promtool from the Prometheus Go module (cached; minutes the first time).

.PHONY: tools
tools: $(CONTROLLER_GEN) $(HELM) ## Build the pinned tools (controller-gen, helm) into bin/ from the Go module proxy.

.PHONY: envtest-assets
envtest-assets: ## Build kube-apiserver and kubectl from the Go module proxy (cached in LC_DIR); etcd is Debian's.
	hack/localcluster/build.sh k8s

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Generate the CRD, RBAC and webhook manifests from the markers, and copy the CRD into the chart.
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd webhook paths="./api/..." paths="./controllers/..." paths="./internal/webhook/..." \
		output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac output:webhook:artifacts:config=config/webhook
	mkdir -p charts/zkensemble-operator/crds
	cp config/crd/bases/zookeeper.zkensemble.io_zkensembles.yaml config/crd/bases/zookeeper.zkensemble.io_zkbackups.yaml charts/zkensemble-operator/crds/
	cp config/rbac/role.yaml charts/zkensemble-operator/files/manager-role.yaml
	cp config/webhook/manifests.yaml charts/zkensemble-operator/files/webhook-manifests.yaml

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
	$(GO) vet -tags e2e,images ./test/...

.PHONY: lint
lint: ## golangci-lint with the repository's .golangci.yml (built from the Go module proxy).
	GOBIN=$(BIN) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.12.2
	$(BIN)/golangci-lint run ./...

##@ Test

# Where `make test` runs the end-to-end suite: e2e (the local cluster, about
# 7 min warm) or kind-e2e (a new 3-node kind cluster: about 9 min warm, and
# 10-20 min more on a fresh machine for Docker, kind and its node image). The
# same suite either way; docs/kind.md.
TEST_E2E ?= e2e

.PHONY: test
test: deps fmt-check vet lint verify-generated tools envtest-assets promtool ## Run every test: unit, integration (ZooKeeper 3.8, real clients, envtest, chart), race, fuzz, end to end on the local cluster (TEST_E2E=kind-e2e: on kind).
	$(ENVTEST_ENV) $(GO) test -count=1 -timeout 30m ./...
	$(MAKE) test-images
	$(MAKE) race
	$(MAKE) fuzz FUZZTIME=$(FUZZTIME) FUZZTIME_DISPATCH=$(FUZZTIME_DISPATCH)
	$(MAKE) $(TEST_E2E)

.PHONY: test-images
test-images: ## The multi-platform images (linux/amd64, linux/arm64) built without Docker, the arm64 server run under qemu-user-static.
	$(GO) test -tags images -count=1 -timeout 30m ./test/images/

.PHONY: e2e
e2e: build tools ## End-to-end suite: on KUBECONFIG's cluster if it answers, else on the local cluster (left running if it was; else brought up, then down).
	hack/e2e.sh

N ?= 10
.PHONY: e2e-repeat
e2e-repeat: build tools ## The end-to-end suite N times (default 10) on one cluster; prints each run's time and the pass count.
	hack/e2e-repeat.sh $(N)

.PHONY: kind-e2e
kind-e2e: tools ## End-to-end suite on a new 3-node kind cluster, deleted afterwards; installs Docker and builds kind, its node image and our images (hack/kind).
	hack/kind/e2e.sh

.PHONY: kind-setup
kind-setup: ## Install Docker, start dockerd, build kind and its node image (cached in KIND_DIR); no cluster.
	hack/kind/setup.sh

.PHONY: race
race: ## The packages under the race detector (-short: tests that drive separate server processes, which the detector does not instrument, run once in the main pass).
	$(GO) test -race -short -count=1 -timeout 20m ./pkg/...

.PHONY: fuzz
fuzz: ## Fuzz the wire decoder, the request dispatcher, the SASL, DN and server-line parsers, ZooKeeper's snapshot and log readers and the backup archive reader for FUZZTIME each.
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeRequest$$' -fuzztime $(FUZZTIME) ./pkg/wire/
	$(GO) test -run '^$$' -fuzz '^FuzzReadFrame$$' -fuzztime $(FUZZTIME) ./pkg/wire/
	$(GO) test -run '^$$' -fuzz '^FuzzDispatch$$' -fuzztime $(FUZZTIME_DISPATCH) ./pkg/sessionserver/
	$(GO) test -run '^$$' -fuzz '^FuzzParseDirectives$$' -fuzztime $(FUZZTIME_DISPATCH) ./pkg/sasl/
	$(GO) test -run '^$$' -fuzz '^FuzzParseJAAS$$' -fuzztime $(FUZZTIME) ./pkg/sasl/
	$(GO) test -run '^$$' -fuzz '^FuzzRFC2253$$' -fuzztime $(FUZZTIME) ./pkg/x500/
	$(GO) test -run '^$$' -fuzz '^FuzzValid$$' -fuzztime $(FUZZTIME) ./pkg/x500/
	$(GO) test -run '^$$' -fuzz '^FuzzParseLine$$' -fuzztime $(FUZZTIME) ./pkg/serverspec/
	$(GO) test -run '^$$' -fuzz '^FuzzReadSnapshot$$' -fuzztime $(FUZZTIME_DISPATCH) ./pkg/zkimport/
	$(GO) test -run '^$$' -fuzz '^FuzzReadLog$$' -fuzztime $(FUZZTIME_DISPATCH) ./pkg/zkimport/
	$(GO) test -run '^$$' -fuzz '^FuzzVerify$$' -fuzztime $(FUZZTIME_DISPATCH) ./pkg/backup/

DURATION ?= 30m
MEMBERS  ?= 3
.PHONY: soak
soak: ## The nemesis (test/nemesis) for DURATION (default 30m) on MEMBERS (3) members, as root; SEED=... replays a schedule.
	NEMESIS_DURATION=$(DURATION) NEMESIS_MEMBERS=$(MEMBERS) nice -n 19 $(GO) test -count=1 -v -timeout 24h -run '^TestNemesis$$/^members=$(MEMBERS)$$' ./test/nemesis/

STRESS_COUNT ?= 50
.PHONY: stress
stress: ## The re-added-member tests STRESS_COUNT times (default 50) each, one run at a time; prints the pass count.
	hack/stress.sh $(STRESS_COUNT)

##@ Benchmarks

BENCH_OUT ?= $(CURDIR)/tmp/bench
# Extra cmd/zkbench flags, e.g. BENCH_FLAGS=-server-gomaxprocs=2 (as in docs/benchmarks.md, run C).
BENCH_FLAGS ?=

.PHONY: bench
bench: build ## Side-by-side with ZooKeeper 3.8, quick (a few minutes, failover included; every target warmed until its rate is stable): cmd/zkbench -mode quick; report in $(BENCH_OUT).
	mkdir -p $(BENCH_OUT)
	$(GO) run ./cmd/zkbench -mode quick -bin $(BIN)/zkensemble-server -out-md $(BENCH_OUT)/quick.md -out-json $(BENCH_OUT)/quick.json $(BENCH_FLAGS)
	# Our 3-member ensemble with member TLS off and on (the operator always turns it on).
	$(GO) run ./cmd/zkbench -mode quick -targets ours-ensemble,ours-ensemble-tls -phases setData,getData -bin $(BIN)/zkensemble-server \
		-out-md $(BENCH_OUT)/member-tls.md -out-json $(BENCH_OUT)/member-tls.json $(BENCH_FLAGS)
	# Client TLS: standalone ours and ZooKeeper 3.8 (its Netty TLS), the plain port and the secure one.
	$(GO) run ./cmd/zkbench -mode quick -targets ours-standalone,ours-standalone-clienttls,zk-standalone,zk-standalone-clienttls -phases setData,getData \
		-bin $(BIN)/zkensemble-server -out-md $(BENCH_OUT)/client-tls.md -out-json $(BENCH_OUT)/client-tls.json $(BENCH_FLAGS)
	cat $(BENCH_OUT)/quick.md $(BENCH_OUT)/member-tls.md $(BENCH_OUT)/client-tls.md

.PHONY: bench-full
bench-full: build ## Side-by-side with ZooKeeper 3.8, every phase, ensembles, client TLS, open loop, 100k sessions, 1M znodes (memory, snapshot, restart), failover (about 20-30 min), with profiles.
	mkdir -p $(BENCH_OUT)
	$(GO) run ./cmd/zkbench -mode full -bin $(BIN)/zkensemble-server -out-md $(BENCH_OUT)/full.md -out-json $(BENCH_OUT)/full.json -profile-dir $(BENCH_OUT)/profiles $(BENCH_FLAGS)
	cat $(BENCH_OUT)/full.md

.PHONY: bench-import
bench-import: ## Import time for a ZooKeeper data directory of 1M znodes vs ZooKeeper 3.8's own restart on the same files (ZooKeeper builds it once, cached in ~/.cache/zkensemble/zkimport-1m).
	$(GO) test -run '^$$' -bench '^BenchmarkImportVersusZooKeeperRestart$$' -benchtime 1x -timeout 60m ./cmd/zkensemble-server/
.PHONY: bench-backup
bench-backup: ## Backup and restore of 1M znodes (BACKUP_BENCH_ZNODES): backup time, archive size, restore time until the member serves.
	$(GO) test -run '^$$' -bench 'BackupRestore' -benchtime 1x -timeout 30m -v ./cmd/zkensemble-server/

.PHONY: bench-go
bench-go: build ## The older go-test benchmarks: ensemble write throughput at 1/16/64 clients, a 10,000-session expiry storm.
	$(GO) test -run '^$$' -bench 'EnsembleWrites|ExpiryStorm' -benchtime 1x -timeout 20m ./cmd/zkensemble-server/

##@ Local cluster
# A single-node Kubernetes v1.37.2 from upstream parts, run as host processes
# (hack/localcluster, docs/local-cluster.md). Needs root; state and cached
# binaries in LC_DIR.

LC_SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo -E env "PATH=$$PATH")

.PHONY: cluster-build
cluster-build: ## Build the cluster's binaries (Kubernetes, CoreDNS, tools) into LC_DIR/bin; cached.
	hack/localcluster/build.sh

.PHONY: cluster-up
cluster-up: ## Start the local cluster (idempotent; installs and builds on first use) and print its KUBECONFIG.
	$(LC_SUDO) hack/localcluster/up.sh

.PHONY: cluster-down
cluster-down: ## Stop the local cluster, leaving the host as it was (PURGE=1 also deletes its data, not the binaries).
	$(LC_SUDO) hack/localcluster/down.sh $(if $(filter 1,$(PURGE)),--purge)

.PHONY: cluster-status
cluster-status: ## Show the local cluster's components, node and pods, and its KUBECONFIG.
	$(LC_SUDO) hack/localcluster/status.sh

.PHONY: cluster-smoke
cluster-smoke: ## Smoke-check the running local cluster (StatefulSet with volumes, DNS, ClusterIP).
	$(LC_SUDO) hack/localcluster/smoke.sh

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z0-9_-]+:.*?##/ { printf "  %-18s %s\n", $$1, $$2 } /^##@/ { printf "\n%s\n", substr($$0, 5) }' $(MAKEFILE_LIST)
