#!/usr/bin/env bash
# Builds SeaweedFS's `weed` (the e2e suite's S3-compatible store) from its Go
# module, once: the binary is cached in $WEED_DIR (default
# ~/.cache/zkensemble/weed) and linked as bin/weed for hack/images.sh.
# `go install` refuses the module (its go.mod has replace directives), so it
# is downloaded with `go mod download` and built in the module cache's copy.
set -euo pipefail
cd "$(dirname "$0")/.."
WEED_MODULE=github.com/seaweedfs/seaweedfs
WEED_VERSION=${WEED_VERSION:-v0.0.0-20261109003541-7506e5f91cd6}
WEED_DIR=${WEED_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/zkensemble/weed}
out="$WEED_DIR/weed-$WEED_VERSION"
if [ ! -x "$out" ]; then
  # An earlier build into the unversioned name (by hand) is this version.
  if [ -x "$WEED_DIR/weed" ] && [ "$WEED_VERSION" = v0.0.0-20261109003541-7506e5f91cd6 ]; then
    ln -f "$WEED_DIR/weed" "$out"
  else
    echo "weed: building SeaweedFS $WEED_VERSION (once; cached in $WEED_DIR)" >&2
    dir=$(go mod download -json "$WEED_MODULE@$WEED_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    [ -d "$dir" ] || { echo "weed: go mod download gave no directory" >&2; exit 1; }
    mkdir -p "$WEED_DIR"
    (cd "$dir" && CGO_ENABLED=0 go build -o "$out.tmp" ./weed)
    mv "$out.tmp" "$out"
  fi
fi
mkdir -p bin
ln -sf "$out" bin/weed
