#!/usr/bin/env bash
# Smoke test with ZooKeeper's C client (cli_mt from Debian's zookeeper-bin):
# it reads a fixed 41-byte connect response and a 16-byte password, so a
# session at all proves the handshake bytes; then create, get, ls, delete.
#
# Usage: cclient_check.sh HOST:PORT
set -uo pipefail
server=$1
cli=${CLI_MT:-/usr/lib/zookeeper/bin/cli_mt}
node=/cclient-$$
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# cli_mt answers asynchronously: keep stdin open until the answers are in.
{
  printf 'create %s\nget %s\nls /\ndelete %s\nexists %s\n' "$node" "$node" "$node" "$node"
  for _ in $(seq 50); do
    grep -q "Error -101 for $node" "$out" 2>/dev/null && break
    sleep 0.1
  done
  printf 'quit\n'
} | timeout 30 "$cli" -h "$server" >"$out" 2>&1

fail=0
expect() {
  if ! grep -qF -- "$1" "$out"; then
    echo "FAIL: cli_mt output lacks: $1" >&2
    fail=1
  fi
}
expect "state = CONNECTED_STATE"
expect "[$node]: rc = 0"
expect "${node#/}"
expect "Error -101 for $node"
expect "Watcher DELETED_EVENT state = CONNECTED_STATE for path $node"
if [ $fail -ne 0 ]; then
  echo "---- cli_mt output ----" >&2
  cat "$out" >&2
  exit 1
fi
echo "C client: all checks passed"
