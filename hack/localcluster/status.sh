#!/usr/bin/env bash
# Shows the local cluster's components (PID, health), the node and the pods.
# Exit status: 0 when every component runs and answers, 1 otherwise.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

P=$LC_PKI
tls=(--cacert "$P/ca.crt" --cert "$P/admin.crt" --key "$P/admin.key")
# component|health URL (containerd: its socket)
checks=(
  "containerd|"
  "etcd|http://127.0.0.1:$ETCD_PORT/health"
  "kube-apiserver|$APISERVER_URL/readyz"
  "kube-controller-manager|https://127.0.0.1:$KCM_PORT/healthz"
  "kube-scheduler|https://127.0.0.1:$SCHEDULER_PORT/healthz"
  "coredns|http://127.0.0.1:$COREDNS_READY_PORT/ready"
  "kubelet|http://127.0.0.1:$KUBELET_HEALTHZ_PORT/healthz"
  "kube-proxy|http://127.0.0.1:$PROXY_HEALTHZ_PORT/healthz"
)
ok=1
printf '%-24s %-8s %s\n' COMPONENT PID HEALTH
for c in "${checks[@]}"; do
  name=${c%%|*} url=${c#*|}
  pid="$(pid_of "$name" 2>/dev/null || true)"
  health=-
  if [ -z "$pid" ]; then
    health="not running"
    ok=0
  elif [ "$name" = containerd ]; then
    if ctr --address "$LC_SOCK" version >/dev/null 2>&1; then health=ok; else health="failing ($LC_SOCK)"; ok=0; fi
  elif [ -n "$url" ]; then
    if curl -sfk -m 3 "${tls[@]}" -o /dev/null "$url" 2>/dev/null; then health=ok; else health="failing ($url)"; ok=0; fi
  fi
  printf '%-24s %-8s %s\n' "$name" "${pid:--}" "$health"
done
echo "state dir: $LC_DIR"
if [ $ok = 1 ]; then
  echo
  kc get nodes -o wide
  echo
  kc get pods -A -o wide
  echo
  echo "export KUBECONFIG=$KUBECONFIG_ADMIN"
  exit 0
fi
exit 1
