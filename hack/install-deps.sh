#!/usr/bin/env bash
# Installs the Debian packages the tests and tools need, only when missing.
# Apache ZooKeeper 3.8 (server, zkCli.sh), its C client and kazoo are the
# reference peers and real clients of the compatibility tests (pure-sasl
# gives kazoo SASL DIGEST-MD5); etcd serves
# envtest; iproute2 and iptables make the nemesis's namespaces and faults. With arguments, installs those packages instead (the local cluster
# uses this for its own list).
# Safe to run repeatedly; needs root (or sudo) the first time.
set -euo pipefail

pkgs=(zookeeper zookeeper-bin python3-kazoo python3-pure-sasl openssl etcd-server iproute2 iptables)
[ $# -eq 0 ] || pkgs=("$@")
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
