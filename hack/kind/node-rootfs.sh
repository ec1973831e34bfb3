#!/usr/bin/env bash
# The node image's Debian bookworm rootfs (debootstrap), cached in
# $KIND_DIR/rootfs and rebuilt when the package list below changes. It holds
# what kind's base image (kindest/base) holds, from Debian: systemd (PID 1 of
# a node), containerd, runc, the CNI plugins, iptables/nftables, mount tools.
# Prints the rootfs path.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pkgs=systemd,conntrack,iptables,nftables,iproute2,ethtool,util-linux,mount,kmod,libseccomp2,pigz,e2fsprogs,bash
pkgs+=,ca-certificates,curl,jq,procps,containerd,runc,containernetworking-plugins
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
rootfs="$KIND_DIR/rootfs"
stamp="$(printf '%s\n' bookworm "$pkgs" | sha256sum | cut -d' ' -f1)"

if [ "$(cat "$rootfs.stamp" 2>/dev/null)" != "$stamp" ] || [ ! -x "$rootfs/usr/bin/containerd" ]; then
  need_root
  command -v debootstrap >/dev/null || kdie "debootstrap is missing (hack/kind/deps.sh installs it)"
  klog "debootstrap of Debian bookworm into $rootfs (about 1 min)"
  start=$SECONDS
  rm -rf "$rootfs" "$rootfs.stamp"
  mkdir -p "$KIND_DIR"
  debootstrap --variant=minbase --include="$pkgs" bookworm "$rootfs" "$mirror" >"$KIND_DIR/debootstrap.log" 2>&1 ||
    kdie "debootstrap failed; see $KIND_DIR/debootstrap.log"
  echo "$stamp" >"$rootfs.stamp"
  klog "rootfs built in $((SECONDS - start))s"
fi
echo "$rootfs"
