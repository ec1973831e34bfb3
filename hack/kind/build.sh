#!/usr/bin/env bash
# Builds what the kind path runs, from the Go module proxy, into $KIND_BIN:
#   kind v0.33.0, etcd v3.7.0 (build/etcd), crictl v1.37.0 (build/crictl),
#   local-path-provisioner v0.0.30 (kind's default StorageClass),
# plus the local cluster's binaries and kubeadm (hack/localcluster/build.sh),
# which the node image shares. Each is rebuilt only when missing or when its
# inputs changed (Go version, pinned version, wrapper module). FORCE=1 rebuilds.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

command -v go >/dev/null || kdie "go is not installed"
mkdir -p "$KIND_BIN"
export CGO_ENABLED=0

# fresh NAME STAMP: true when $KIND_BIN/NAME exists and was built from STAMP.
fresh() {
  [ "${FORCE:-0}" != 1 ] && [ -x "$KIND_BIN/$1" ] && [ "$(cat "$KIND_BIN/.stamp-$1" 2>/dev/null)" = "$2" ]
}

# install_pinned NAME MODULE@VERSION: go install of a module at a version.
install_pinned() {
  local name=$1 ref=$2 stamp start
  stamp="$(printf '%s\n' "$(go env GOVERSION)" "$ref" | sha256sum | cut -d' ' -f1)"
  if fresh "$name" "$stamp"; then klog "$name up to date"; return; fi
  klog "building $ref"
  start=$SECONDS
  # From /: the go.mod of the directory we stand in must not take part.
  (cd / && GOBIN="$KIND_BIN" go install -trimpath -ldflags "-s -w" "$ref")
  echo "$stamp" >"$KIND_BIN/.stamp-$name"
  klog "$name built in $((SECONDS - start))s"
}

# build_wrapped NAME PACKAGE: a command of the wrapper module build/NAME.
build_wrapped() {
  local name=$1 pkg=$2 dir="$KIND_SRC/build/$1" stamp start
  stamp="$( (go env GOVERSION && cat "$dir/go.mod" "$dir/go.sum") | sha256sum | cut -d' ' -f1)"
  if fresh "$name" "$stamp"; then klog "$name up to date"; return; fi
  klog "building $name ($pkg)"
  start=$SECONDS
  (cd "$dir" && go build -trimpath -ldflags "-s -w" -o "$KIND_BIN/$name" "$pkg")
  echo "$stamp" >"$KIND_BIN/.stamp-$name"
  klog "$name built in $((SECONDS - start))s"
}

"$LC_SRC/build.sh" tools coredns k8s kubeadm
install_pinned kind "sigs.k8s.io/kind@$KIND_VERSION"
build_wrapped etcd go.etcd.io/etcd/server/v3
build_wrapped crictl sigs.k8s.io/cri-tools/cmd/crictl
install_pinned local-path-provisioner "github.com/rancher/local-path-provisioner@$LPP_VERSION"
