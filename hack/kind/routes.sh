#!/usr/bin/env bash
# Pod network between kind nodes without kindnetd: in every node, a route to
# each other node's podCIDR through that node's IP (each node's containerd
# bridges its own podCIDR: node/cni.template), and, as kindnetd does, a
# MASQUERADE of pod traffic leaving the cluster's pod network only. Pod to
# pod traffic keeps its source address (Kubernetes' network model: no NAT
# between pods; our member transport takes a stream from a new address for a
# restarted peer). Waits until every node has a podCIDR.
# Usage: routes.sh KUBECONFIG
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
kubeconfig=${1:?usage: routes.sh KUBECONFIG}
rows() {
  "$LC_BIN/kubectl" --kubeconfig "$kubeconfig" get nodes \
    -o jsonpath='{range .items[*]}{.metadata.name} {.spec.podCIDR} {.status.addresses[?(@.type=="InternalIP")].address}{"\n"}{end}'
}
deadline=$((SECONDS + 120))
until out="$(rows)" && [ -n "$out" ] && ! awk 'NF != 3 {bad = 1} END {exit !bad}' <<<"$out"; do
  [ $SECONDS -lt $deadline ] || kdie "nodes without a podCIDR or IP after 120s:"$'\n'"$out"
  sleep 1 # poll interval until the controller manager assigns podCIDRs
done
mapfile -t nodes <<<"$out"
pod_subnet=$("$LC_BIN/kubectl" --kubeconfig "$kubeconfig" -n kube-system get configmap kubeadm-config \
  -o jsonpath='{.data.ClusterConfiguration}' | awk '$1 == "podSubnet:" {print $2}')
[ -n "$pod_subnet" ] || kdie "no podSubnet in kubeadm's ClusterConfiguration"
for n in "${nodes[@]}"; do
  read -r name cidr _ <<<"$n"
  masq=(POSTROUTING -s "$cidr" ! -d "$pod_subnet" -j MASQUERADE)
  docker exec "$name" iptables -t nat -C "${masq[@]}" 2>/dev/null || docker exec "$name" iptables -t nat -A "${masq[@]}"
  for o in "${nodes[@]}"; do
    read -r oname ocidr oip <<<"$o"
    [ "$oname" != "$name" ] || continue
    docker exec "$name" ip route replace "$ocidr" via "$oip"
  done
done
klog "routes between ${#nodes[@]} nodes' pod networks in place"
