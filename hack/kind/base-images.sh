#!/usr/bin/env bash
# Local stand-ins for the Dockerfile's two base images, which cannot be
# pulled here (no registry); built only when missing or their inputs changed:
#   local/golang:<Go version>  the build stage's Go toolchain: the installed Go
#                              (GOROOT) on node-rootfs.sh's Debian bookworm, with
#                              busybox-static (the server image's shell)
#   local/static:1             the images' base: CA certificates and the user
#                              nonroot (65532), like distroless/static:nonroot
# Both hold the host's CA certificates (the host may reach the Go module proxy
# through a TLS proxy of its own).
# Prints the two build args for `docker build`.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
label=io.zkensemble.inputs
go_image="local/golang:$(go env GOVERSION | sed 's/^go//')"
static_image=local/static:1

# current IMAGE HASH: true when IMAGE exists and carries HASH.
current() { [ "$(docker image inspect -f "{{index .Config.Labels \"$label\"}}" "$1" 2>/dev/null)" = "$2" ]; }

# import DIR IMAGE HASH [CHANGE]...: DIR as a one-layer image labelled HASH.
import() {
  local dir=$1 image=$2 hash=$3 changes=()
  shift 3
  for c in "$@"; do changes+=(--change "$c"); done
  tar -C "$dir" -c . | docker import "${changes[@]}" --change "LABEL $label=$hash" - "$image" >/dev/null
}

goroot="$(go env GOROOT)"
rootfs="$("$KIND_SRC/node-rootfs.sh")"
certs=/etc/ssl/certs/ca-certificates.crt
[ -f "$certs" ] || kdie "$certs is missing (Debian's ca-certificates)"
hash="$( (go env GOVERSION && cat "$rootfs.stamp" && input_hash /bin/busybox "$certs" "$0") | sha256sum | cut -d' ' -f1)"
if ! current "$go_image" "$hash"; then
  klog "building $go_image (the installed Go on Debian bookworm)"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  tar -C "$rootfs" -c --exclude=./var/cache/apt --exclude=./var/lib/apt/lists . | tar -C "$tmp" -x
  mkdir -p "$tmp/usr/local"
  cp -a "$goroot" "$tmp/usr/local/go"
  install -m 0755 /bin/busybox "$tmp/bin/busybox"
  # The CA certificates the host trusts: the module proxy may be reached through the host's TLS proxy.
  install -m 0644 "$certs" "$tmp$certs"
  import "$tmp" "$go_image" "$hash" 'ENV PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    'ENV GOPATH=/go' 'ENV GOTOOLCHAIN=local' 'WORKDIR /go'
  rm -rf "$tmp"
  trap - EXIT
fi

hash="$(input_hash "$certs" "$0")"
if ! current "$static_image" "$hash"; then
  klog "building $static_image (CA certificates, user nonroot 65532)"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  install -D -m 0644 "$certs" "$tmp$certs"
  mkdir -p "$tmp/tmp" "$tmp/home/nonroot" "$tmp/root"
  chmod 1777 "$tmp/tmp"
  chown 65532:65532 "$tmp/home/nonroot"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$tmp/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' >"$tmp/etc/group"
  import "$tmp" "$static_image" "$hash" 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' 'USER 65532:65532'
  rm -rf "$tmp"
  trap - EXIT
fi
echo "--build-arg GO_IMAGE=$go_image --build-arg BASE_IMAGE=$static_image"
