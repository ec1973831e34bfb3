#!/usr/bin/env bash
# The images a kind node runs, as docker-archive tars in DIR, named as kubeadm
# and kind expect them (no registry to pull them from): kube-apiserver,
# kube-controller-manager, kube-scheduler, kube-proxy, etcd, CoreDNS, pause
# (`kubeadm config images list`) and kind's storage provisioner and helper.
# Each is one layer built by imgtool from binaries built here.
#
# Usage: node-images.sh ROOTFS DIR   (ROOTFS: node-rootfs.sh's; kube-proxy's
#   iptables comes from it)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
rootfs=${1:?usage: node-images.sh ROOTFS DIR} out=${2:?usage: node-images.sh ROOTFS DIR}
kind_mod="$(go env GOMODCACHE)/sigs.k8s.io/kind@$KIND_VERSION"
[ -d "$kind_mod" ] || kdie "$kind_mod is missing (hack/kind/build.sh)"
mkdir -p "$out"

declare -A ref
while read -r r; do
  n=${r##*/}
  ref[${n%%:*}]=$r
done < <("$LC_BIN/kubeadm" config images list --kubernetes-version "$K8S_VERSION")
# The storage images' names are constants of kind's node image builder.
for n in local-path-provisioner local-path-helper; do
  ref[$n]=$(grep -o "docker.io/kindest/$n:[^\"]*" "$kind_mod/pkg/build/nodeimage/const_storage.go")
done
for n in kube-apiserver kube-controller-manager kube-scheduler kube-proxy etcd coredns pause local-path-provisioner local-path-helper; do
  [ -n "${ref[$n]:-}" ] || kdie "no image name for $n"
done

img() { "$LC_BIN/imgtool" "$@" >/dev/null; }
for c in kube-apiserver kube-controller-manager kube-scheduler; do
  img -o "$out/$c.tar" -t "${ref[$c]}" -dir /tmp "$LC_BIN/$c=/usr/local/bin/$c"
done
img -o "$out/etcd.tar" -t "${ref[etcd]}" -dir /tmp -dir /var/lib/etcd "$KIND_BIN/etcd=/usr/local/bin/etcd"
img -o "$out/coredns.tar" -t "${ref[coredns]}" -entrypoint /coredns "$LC_BIN/coredns=/coredns"
img -o "$out/pause.tar" -t "${ref[pause]}" -entrypoint /pause "$LC_BIN/pause=/pause"
img -o "$out/local-path-provisioner.tar" -t "${ref[local-path-provisioner]}" -dir /tmp \
  "$KIND_BIN/local-path-provisioner=/usr/local/bin/local-path-provisioner"
# The helper runs the provisioner's setup and teardown shell scripts.
helper=(-link busybox=/bin/sh)
for a in mkdir rm chmod ls; do helper+=(-link "busybox=/bin/$a"); done
img -o "$out/local-path-helper.tar" -t "${ref[local-path-helper]}" -dir /tmp "${helper[@]}" /bin/busybox=/bin/busybox

# kube-proxy (iptables mode) runs iptables: the node's xtables-nft-multi (the
# nft backend, which kind's entrypoint picks here), its modules and libraries.
lib=usr/lib/x86_64-linux-gnu
proxy=("$LC_BIN/kube-proxy=/usr/local/bin/kube-proxy" "$rootfs/usr/sbin/xtables-nft-multi=/usr/sbin/xtables-nft-multi"
  "$rootfs/$lib/ld-linux-x86-64.so.2=/lib64/ld-linux-x86-64.so.2")
for l in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
  proxy=(-link "xtables-nft-multi=/usr/sbin/$l" "${proxy[@]}")
done
mapfile -t mods < <(cd "$rootfs" && ls "$lib"/xtables/*.so)
for f in "${mods[@]}"; do proxy+=("$rootfs/$f=/$f"); done
while read -r l; do
  proxy+=("$rootfs$l=/$lib/${l##*/}")
done < <(for f in usr/sbin/xtables-nft-multi "${mods[@]}"; do chroot "$rootfs" ldd "/$f"; done | awk '$3 ~ /^\// {print $3}' | sort -u)
img -o "$out/kube-proxy.tar" -t "${ref[kube-proxy]}" -dir /tmp -dir /run -dir /var/lib/kube-proxy "${proxy[@]}"
