#!/usr/bin/env bash
# Prints the version stamped into the binaries, images and chart: git describe
# of the tree (a tag, commits since it, the commit, -dirty for local changes),
# or VERSION when set (a release built from an exported tree).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${VERSION:-}" ]; then echo "$VERSION"; exit 0; fi
git describe --tags --always --dirty 2>/dev/null || echo dev
