#!/usr/bin/env bash
# Builds the local cluster's binaries into $LC_DIR/bin from the Go module proxy:
#   k8s      kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy, kubectl (build/k8s)
#   coredns  CoreDNS (build/coredns)
#   tools    imgtool, pause, cri-clean, hello (tools/)
#   kubeadm  kubeadm (build/k8s), for kind's node image (hack/kind); only when asked for
# Each part is rebuilt only when a binary is missing or its inputs changed
# (Go version, the wrapper module's go.mod/go.sum, sources, flags).
# Usage: build.sh [k8s|coredns|tools|kubeadm]...   (default: k8s, coredns, tools; FORCE=1 rebuilds)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

command -v go >/dev/null || die "go is not installed"
mkdir -p "$LC_BIN"
export CGO_ENABLED=0

# stamp_of DIR EXTRA: a hash of everything that decides DIR's binaries.
stamp_of() {
  local dir=$1 extra=$2
  {
    go env GOVERSION GOOS GOARCH
    printf '%s\n' "$extra"
    find "$dir" -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) -print0 | sort -z | xargs -0 sha256sum
  } | sha256sum | cut -d' ' -f1
}

# up_to_date NAME STAMP BINARIES...: true when the binaries exist and were built from STAMP.
up_to_date() {
  local name=$1 stamp=$2 b
  shift 2
  [ "${FORCE:-0}" = 1 ] && return 1
  [ "$(cat "$LC_BIN/.stamp-$name" 2>/dev/null)" = "$stamp" ] || return 1
  for b in "$@"; do [ -x "$LC_BIN/$b" ] || return 1; done
}

# k8s_ldflags: the version stamped into the Kubernetes binaries.
k8s_ldflags() {
  local ldf="" pkg minor=${K8S_VERSION#v1.}
  minor=${minor%%.*}
  for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    ldf+=" -X '$pkg.gitVersion=$K8S_VERSION' -X '$pkg.gitMajor=1' -X '$pkg.gitMinor=$minor' -X '$pkg.gitTreeState=clean'"
    ldf+=" -X '$pkg.gitCommit=0000000000000000000000000000000000000000' -X '$pkg.buildDate=1970-01-01T00:00:00Z'"
  done
  echo "$ldf"
}

build_k8s() {
  local dir="$LC_SRC/build/k8s" ldf stamp start
  local bins=(kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubelet kubectl)
  ldf="$(k8s_ldflags)"
  stamp="$(stamp_of "$dir" "$ldf")"
  if up_to_date k8s "$stamp" "${bins[@]}"; then log "k8s $K8S_VERSION binaries up to date"; return; fi
  log "building Kubernetes $K8S_VERSION (${bins[*]}); about 10-13 min cold on 2 cores"
  start=$SECONDS
  (cd "$dir" && go build -trimpath -ldflags "-s -w$ldf" -o "$LC_BIN/" "${bins[@]/#/k8s.io/kubernetes/cmd/}")
  echo "$stamp" >"$LC_BIN/.stamp-k8s"
  log "k8s built in $((SECONDS - start))s"
}

# build_kubeadm: kubeadm from the same module, for kind's node image
# (hack/kind); not part of the default build.
build_kubeadm() {
  local dir="$LC_SRC/build/k8s" ldf stamp start
  ldf="$(k8s_ldflags)"
  stamp="$(stamp_of "$dir" "$ldf")"
  if up_to_date kubeadm "$stamp" kubeadm; then log "kubeadm $K8S_VERSION up to date"; return; fi
  log "building kubeadm $K8S_VERSION"
  start=$SECONDS
  (cd "$dir" && go build -trimpath -ldflags "-s -w$ldf" -o "$LC_BIN/" k8s.io/kubernetes/cmd/kubeadm)
  echo "$stamp" >"$LC_BIN/.stamp-kubeadm"
  log "kubeadm built in $((SECONDS - start))s"
}

build_coredns() {
  local dir="$LC_SRC/build/coredns" stamp start
  stamp="$(stamp_of "$dir" "")"
  if up_to_date coredns "$stamp" coredns; then log "CoreDNS $COREDNS_VERSION up to date"; return; fi
  log "building CoreDNS $COREDNS_VERSION"
  start=$SECONDS
  (cd "$dir" && go build -trimpath -ldflags "-s -w" -o "$LC_BIN/coredns" github.com/coredns/coredns)
  echo "$stamp" >"$LC_BIN/.stamp-coredns"
  log "CoreDNS built in $((SECONDS - start))s"
}

build_tools() {
  local dir="$LC_SRC/tools" stamp start
  local bins=(imgtool pause cri-clean hello)
  stamp="$(stamp_of "$dir" "")"
  if up_to_date tools "$stamp" "${bins[@]}"; then log "tools up to date"; return; fi
  log "building tools (${bins[*]})"
  start=$SECONDS
  (cd "$dir" && go build -trimpath -ldflags "-s -w" -o "$LC_BIN/" "${bins[@]/#/./cmd/}")
  echo "$stamp" >"$LC_BIN/.stamp-tools"
  log "tools built in $((SECONDS - start))s"
}

parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(tools coredns k8s)
for p in "${parts[@]}"; do
  case $p in
    k8s) build_k8s ;;
    coredns) build_coredns ;;
    tools) build_tools ;;
    kubeadm) build_kubeadm ;;
    *) die "unknown part $p (k8s, coredns, tools, kubeadm)" ;;
  esac
done
