#!/usr/bin/env bash
# Builds promtool VERSION into OUT from the Prometheus Go module (the Go
# module proxy), for the chart's alert rule checks (test/install). The module
# has replace directives, so `go install mod@version` refuses it: download the
# module and build inside its directory.
set -euo pipefail
version=$1 out=$2
dir=$(GOFLAGS= GOWORK=off go mod download -json "github.com/prometheus/prometheus@$version" |
	sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[[ -d $dir ]] || { echo "build-promtool: no module directory for prometheus@$version" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
(cd "$dir" && GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0 go build -o "$out.tmp" ./cmd/promtool)
mv "$out.tmp" "$out"
