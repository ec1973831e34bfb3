#!/usr/bin/env bash
# Builds kind's node image $LOCAL_NODE_IMAGE with no registry, when it is
# missing or one of its inputs changed (the image carries a label with their
# hash): node-rootfs.sh's Debian rootfs + kind's base files (from kind's
# module: images/base/files) + kubeadm, kubelet, kubectl, crictl + every image
# the node runs (node-images.sh), preloaded into the node's containerd. This
# is what kind's `kind build node-image` does, which would pull etcd, CoreDNS,
# pause and kindnetd instead. hack/kind/build.sh must have run.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root
label=io.zkensemble.kind-node-inputs

rootfs="$("$KIND_SRC/node-rootfs.sh")"
inputs="$(
  cat "$rootfs.stamp" "$LC_BIN"/.stamp-{k8s,kubeadm,coredns,tools} "$KIND_BIN"/.stamp-{kind,etcd,crictl,local-path-provisioner}
  input_hash "$KIND_SRC"/{lib.sh,node-image.sh,node-images.sh,node-rootfs.sh} "$KIND_SRC"/node/*
)"
inputs="$(sha256sum <<<"$inputs" | cut -d' ' -f1)"
if [ "${FORCE:-0}" != 1 ] && [ "$(docker image inspect -f "{{index .Config.Labels \"$label\"}}" "$LOCAL_NODE_IMAGE" 2>/dev/null)" = "$inputs" ]; then
  klog "node image $LOCAL_NODE_IMAGE up to date"
  exit 0
fi
klog "building node image $LOCAL_NODE_IMAGE"
start=$SECONDS
kind_mod="$(go env GOMODCACHE)/sigs.k8s.io/kind@$KIND_VERSION"
kf="$kind_mod/images/base/files"
work="$(mktemp -d "$KIND_DIR/node-image.XXXXXX")"
ctd="" # the throwaway containerd's PID
cleanup() {
  [ -z "$ctd" ] || { kill "$ctd" 2>/dev/null; wait "$ctd" 2>/dev/null; } || true
  rm -rf "$work"
}
trap cleanup EXIT
"$KIND_SRC/node-images.sh" "$rootfs" "$work/images"
pause="$("$LC_BIN/kubeadm" config images list --kubernetes-version "$K8S_VERSION" | grep /pause:)"

# The node's filesystem: kind's images/base/Dockerfile, on Debian's packages.
w="$work/rootfs"
cp -a "$rootfs" "$w"
rm -rf "$w"/var/cache/apt/archives/*.deb "$w"/var/lib/apt/lists/* "$w"/usr/share/{doc,man,locale,info}/*
mkdir -p "$w"/kind/{bin,manifests} "$w"/etc/containerd "$w"/etc/systemd/system/kubelet.service.d "$w"/etc/kubernetes/manifests
install -m 0755 "$kf"/usr/local/bin/* "$w/usr/local/bin/"
install -m 0755 "$kf"/kind/bin/* "$w/kind/bin/"
chmod 0755 "$w/kind"
install -m 0644 "$kf/etc/crictl.yaml" "$w/etc/"
install -m 0644 "$kf/etc/default/kubelet" "$w/etc/default/"
install -m 0644 "$kf"/etc/sysctl.d/* "$w/etc/sysctl.d/"
install -m 0644 "$kf"/etc/systemd/system/{kubelet.service,kubelet.slice,undo-mount-hacks.service} "$w/etc/systemd/system/"
install -m 0644 "$kf"/etc/systemd/system/kubelet.service.d/* "$w/etc/systemd/system/kubelet.service.d/"
# Debian's containerd is in /usr/bin, kind's unit expects /usr/local/bin.
sed 's#/usr/local/bin/containerd#/usr/bin/containerd#' "$kf/etc/systemd/system/containerd.service" >"$w/etc/systemd/system/containerd.service"
sed "s#@PAUSE@#$pause#" "$KIND_SRC/node/config.toml" >"$w/etc/containerd/config.toml"
install -m 0644 "$KIND_SRC/node/cni.template" "$w/etc/containerd/"
mkdir -p "$w/opt/cni" "$w/etc/cni/net.d"
ln -sfn /usr/lib/cni "$w/opt/cni/bin"
# The containers' base spec: containerd's default plus kind's hook (as kind's base image), no rlimits
# (raising them needs CAP_SYS_RESOURCE).
ctr oci spec | jq '.hooks.createContainer += [{"path": "/kind/bin/mount-product-files.sh"}] | del(.process.rlimits)' \
  >"$w/etc/containerd/cri-base.json"
# systemd in a container: only the units a node needs (kind's base image does the same).
find "$w/lib/systemd/system/sysinit.target.wants/" -name systemd-tmpfiles-setup.service -delete
rm -f "$w"/lib/systemd/system/multi-user.target.wants/* "$w"/etc/systemd/system/*.wants/* \
  "$w"/lib/systemd/system/local-fs.target.wants/* "$w"/lib/systemd/system/sockets.target.wants/*udev* \
  "$w"/lib/systemd/system/sockets.target.wants/*initctl* "$w"/lib/systemd/system/basic.target.wants/*
echo "ReadKMsg=no" >>"$w/etc/systemd/journald.conf"
ln -sfn /usr/lib/systemd/systemd "$w/sbin/init"
chroot "$w" systemctl enable kubelet.service containerd.service undo-mount-hacks.service >/dev/null 2>&1
chroot "$w" systemctl mask systemd-binfmt.service >/dev/null 2>&1
install -m 0755 "$LC_BIN/kubeadm" "$LC_BIN/kubelet" "$LC_BIN/kubectl" "$w/usr/bin/"
install -m 0755 "$KIND_BIN/crictl" "$w/usr/local/bin/"
printf '%s' "$K8S_VERSION" >"$w/kind/version"
# kind's default StorageClass manifest, a Go constant in kind's source, with its two image names filled in.
provisioner=$(grep -o 'docker.io/kindest/local-path-provisioner:[^"]*' "$kind_mod/pkg/build/nodeimage/const_storage.go")
helper=$(grep -o 'docker.io/kindest/local-path-helper:[^"]*' "$kind_mod/pkg/build/nodeimage/const_storage.go")
awk '/^const defaultStorageManifest = `/{f=1;next} f&&/^`/{exit} f' "$kind_mod/pkg/build/nodeimage/const_storage.go" |
  sed -e "s#\` + storageProvisionerImage + \`#$provisioner#g" -e "s#\` + storageHelperImage + \`#$helper#g" \
    >"$w/kind/manifests/default-storage.yaml"
! grep -q '` +' "$w/kind/manifests/default-storage.yaml" || kdie "could not extract kind's storage manifest"
install -m 0644 "$KIND_SRC/node/default-cni.yaml" "$w/kind/manifests/"

# Preload the images: a throwaway containerd (the node's own Debian build, run
# from the host's) rooted in the node's /var/lib/containerd.
cs="$work/ctd"
mkdir -p "$cs"
cat >"$cs/config.toml" <<TOML
version = 2
root = "$w/var/lib/containerd"
state = "$cs/state"
[grpc]
  address = "$cs/sock"
[ttrpc]
  address = "$cs/sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$cs/opt"
TOML
containerd --config "$cs/config.toml" >"$cs/log" 2>&1 &
ctd=$!
for _ in $(seq 100); do
  ctr -a "$cs/sock" version >/dev/null 2>&1 && break
  sleep 0.2 # poll interval until containerd answers
done
for f in "$work"/images/*.tar; do
  ctr -a "$cs/sock" -n k8s.io images import --label=io.cri-containerd.pinned=pinned --all-platforms --no-unpack --digests "$f" >/dev/null
done
kill "$ctd"
wait "$ctd" 2>/dev/null || true
ctd=""

# One layer. `docker import --change` refuses STOPSIGNAL and LABEL is added
# the same way: a metadata-only build on top.
tar -C "$w" -c . | docker import --change 'ENV container=docker' \
  --change 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' - "$LOCAL_NODE_IMAGE" >/dev/null
printf 'FROM %s\nSTOPSIGNAL SIGRTMIN+3\nLABEL %s=%s\n' "$LOCAL_NODE_IMAGE" "$label" "$inputs" |
  docker build -q -t "$LOCAL_NODE_IMAGE" - >/dev/null 2>&1
klog "node image $LOCAL_NODE_IMAGE built in $((SECONDS - start))s"
