#!/usr/bin/env bash
# Fails when `make manifests generate` changed files: generated code and
# manifests must be committed in step with the markers.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! git diff --quiet -- api config charts; then
  echo "generated files are out of date; run 'make manifests generate' and commit:" >&2
  git --no-pager diff --stat -- api config charts >&2
  exit 1
fi
untracked=$(git ls-files --others --exclude-standard -- api config charts)
if [ -n "$untracked" ]; then
  echo "generated files are not committed:" >&2
  echo "$untracked" >&2
  exit 1
fi
