#!/usr/bin/env bash
# Builds a one-layer image from a static binary (its entrypoint, at /<name>)
# plus busybox-static (/bin/sh and the other applets) and any extra files, with
# imgtool (go-containerregistry, no Docker engine), then imports it into the
# local cluster's containerd. With -o it also writes the docker-archive tarball,
# e.g. for `kind load image-archive FILE`; --no-import skips the import.
#
# Usage: load-image.sh [-o FILE.tar] [--no-import] IMAGE_REF STATIC_BINARY [FILE | SRC=/DST]...
#        load-image.sh [-o FILE.tar] [--no-import] [--user U] --rootfs DIR IMAGE_REF ENTRYPOINT
#   IMAGE_REF: use a non-latest tag (localhost/zkensemble-operator:dev) and
#   imagePullPolicy IfNotPresent or Never: there is no registry to pull from.
#   A plain FILE goes to /<its name>; SRC=/DST puts SRC at /DST.
#   --rootfs packages DIR as it is (files, links, empty directories), nothing added.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { sed -n '2,14s/^# \{0,1\}//p' "$0" >&2; exit 2; }
out="" import=1 rootfs="" user=()
while [ $# -gt 0 ]; do
  case $1 in
    -o) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
    --no-import) import=0; shift ;;
    --rootfs) [ $# -ge 2 ] || usage; rootfs=$2; shift 2 ;;
    --user) [ $# -ge 2 ] || usage; user=(-user "$2"); shift 2 ;;
    -h | --help) usage ;;
    -*) usage ;;
    *) break ;;
  esac
done
[ $# -ge 2 ] || usage
[ -x "$LC_BIN/imgtool" ] || "$LC_SRC/build.sh" tools
args=()
if [ -n "$rootfs" ]; then
  # A laid-out root file system (hack/image-rootfs.sh): every file, link and
  # empty directory as it is there.
  ref=$1 entry=$2
  [ -d "$rootfs" ] || die "$rootfs: no such directory"
  files=() # after the flags: imgtool's flags end at the first src=dst
  while IFS= read -r -d '' p; do
    rel=${p#"$rootfs"}
    if [ -L "$p" ]; then
      args+=(-link "$(readlink "$p")=$rel")
    elif [ -d "$p" ]; then
      [ -n "$(ls -A "$p")" ] || args+=(-dir "$rel")
    else
      files+=("$p=$rel")
    fi
  done < <(find "$rootfs" -mindepth 1 -print0 | sort -z)
  args+=("${files[@]}")
else
  ref=$1 bin=$2
  shift 2
  [ -f "$bin" ] || die "$bin: no such file"
  if command -v file >/dev/null && file -L "$bin" | grep -q 'dynamically linked'; then
    die "$bin is dynamically linked; build it with CGO_ENABLED=0"
  fi
  [ -x /bin/busybox ] || "$LC_SRC/deps.sh"
  entry="/$(basename "$bin")"
  files=("$bin=$entry" "/bin/busybox=/bin/busybox")
  declare -A taken=(["$entry"]=1 [/bin/busybox]=1)
  for f in "$@"; do
    [[ $f == *=/* ]] || f="$f=/$(basename "$f")"
    files+=("$f")
    taken[${f#*=}]=1
  done
  while read -r applet; do
    [ -n "${taken[/bin/$applet]:-}" ] || args+=(-link "busybox=/bin/$applet")
  done < <(/bin/busybox --list)
  args=(-dir /tmp -dir /etc "${args[@]}" "${files[@]}")
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
tarball=${out:-$tmp/image.tar}
"$LC_BIN/imgtool" -o "$tarball" -t "$ref" -entrypoint "$entry" "${user[@]}" "${args[@]}" >/dev/null
log "built $ref ($(du -h "$tarball" | cut -f1))${out:+ -> $out}"

if [ $import = 1 ]; then
  [ -S "$LC_SOCK" ] || die "the local cluster's containerd is not running ($LC_SOCK); run make cluster-up, or use -o FILE --no-import"
  ctr --address "$LC_SOCK" -n k8s.io images import "$tarball" >/dev/null
  log "imported $ref into the local cluster"
fi
