#!/usr/bin/env bash
# Installs the Debian packages the local cluster runs on, only when missing:
# containerd, runc, the CNI plugins, etcd, busybox-static (the shell in our
# images), iptables (kube-proxy), openssl (certificates) and curl (health checks).
set -euo pipefail

# Debian starts the packaged services; the local cluster runs its own
# instances instead, so a service that this install started is stopped again.
was_active=()
for svc in containerd etcd; do
  command -v systemctl >/dev/null && systemctl is-active -q "$svc" 2>/dev/null && was_active+=("$svc")
done
"$(dirname "${BASH_SOURCE[0]}")/../install-deps.sh" \
  containerd runc containernetworking-plugins etcd-server busybox-static iptables openssl curl
command -v systemctl >/dev/null || exit 0
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
for svc in containerd etcd; do
  if [[ " ${was_active[*]} " != *" $svc "* ]] && systemctl is-active -q "$svc" 2>/dev/null; then
    "${sudo_cmd[@]}" systemctl disable --now "$svc" >/dev/null 2>&1 || true
  fi
done
