#!/usr/bin/env bash
# Installs the Debian packages the local cluster runs on, only when missing:
# containerd, runc, the CNI plugins, etcd, busybox-static (the shell in our
# images), iptables (kube-proxy), openssl (certificates) and curl (health checks).
set -euo pipefail

pkgs=(containerd runc containernetworking-plugins etcd-server busybox-static iptables openssl curl)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts the packaged services; the local cluster runs its own instances
# instead, so leave the host's copies as they were before (stopped).
for svc in containerd etcd; do
  if [[ " ${missing[*]} " == *" ${svc/etcd/etcd-server} "* ]] && command -v systemctl >/dev/null \
    && systemctl is-active -q "$svc" 2>/dev/null; then
    "${sudo_cmd[@]}" systemctl disable --now "$svc" >/dev/null 2>&1 || true
  fi
done
