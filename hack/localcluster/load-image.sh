#!/usr/bin/env bash
# Builds a one-layer image from a static binary (its entrypoint, at /<name>)
# plus busybox-static (/bin/sh and the other applets) and any extra files, with
# imgtool (go-containerregistry, no Docker engine), then imports it into the
# local cluster's containerd. With -o it also writes the docker-archive tarball,
# e.g. for `kind load image-archive FILE`; --no-import skips the import.
#
# Usage: load-image.sh [-o FILE.tar] [--no-import] IMAGE_REF STATIC_BINARY [FILE | SRC=/DST]...
#   IMAGE_REF: use a non-latest tag (localhost/zkensemble-operator:dev) and
#   imagePullPolicy IfNotPresent or Never: there is no registry to pull from.
#   A plain FILE goes to /<its name>; SRC=/DST puts SRC at /DST.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { sed -n '2,12s/^# \{0,1\}//p' "$0" >&2; exit 2; }
out="" import=1
while [ $# -gt 0 ]; do
  case $1 in
    -o) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
    --no-import) import=0; shift ;;
    -h | --help) usage ;;
    -*) usage ;;
    *) break ;;
  esac
done
[ $# -ge 2 ] || usage
ref=$1 bin=$2
shift 2
[ -f "$bin" ] || die "$bin: no such file"
if command -v file >/dev/null && file -L "$bin" | grep -q 'dynamically linked'; then
  die "$bin is dynamically linked; build it with CGO_ENABLED=0"
fi
[ -x /bin/busybox ] || "$LC_SRC/deps.sh"
[ -x "$LC_BIN/imgtool" ] || "$LC_SRC/build.sh" tools

entry="/$(basename "$bin")"
files=("$bin=$entry" "/bin/busybox=/bin/busybox")
declare -A taken=(["$entry"]=1 [/bin/busybox]=1)
for f in "$@"; do
  [[ $f == *=/* ]] || f="$f=/$(basename "$f")"
  files+=("$f")
  taken[${f#*=}]=1
done
links=()
while read -r applet; do
  [ -n "${taken[/bin/$applet]:-}" ] || links+=(-link "busybox=/bin/$applet")
done < <(/bin/busybox --list)

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
tarball=${out:-$tmp/image.tar}
"$LC_BIN/imgtool" -o "$tarball" -t "$ref" -entrypoint "$entry" -dir /tmp -dir /etc "${links[@]}" "${files[@]}" >/dev/null
log "built $ref ($(du -h "$tarball" | cut -f1))${out:+ -> $out}"

if [ $import = 1 ]; then
  [ -S "$LC_SOCK" ] || die "the local cluster's containerd is not running ($LC_SOCK); run make cluster-up, or use -o FILE --no-import"
  ctr --address "$LC_SOCK" -n k8s.io images import "$tarball" >/dev/null
  log "imported $ref into the local cluster"
fi
