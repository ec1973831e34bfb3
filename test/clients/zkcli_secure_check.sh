#!/usr/bin/env bash
# Drive a server with zkCli.sh over TLS (the Netty socket, PEM key and trust
# stores) and SASL DIGEST-MD5 (a JAAS Client section), then without
# credentials. The server requires sasl or x509.
#
# Usage: zkcli_secure_check.sh SECURE_HOST:PORT PLAIN_HOST:PORT CA KEYSTORE
set -euo pipefail
secure=$1 plain=$2 ca=$3 keystore=$4
zkcli=${ZKCLI:-/usr/share/zookeeper/bin/zkCli.sh}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat >"$dir/jaas.conf" <<JAAS
Client {
  org.apache.zookeeper.server.auth.DigestLoginModule required
  username="alice"
  password="alice-pw";
};
JAAS
# Debian's zkCli.sh fixes its class path; a later -cp wins and adds the
# Netty codec the TLS socket needs.
cp="-cp /etc/zookeeper/conf:/usr/share/java/zookeeper.jar:/usr/share/java/netty-codec.jar:/usr/share/java/netty-resolver.jar"
tls="-Dzookeeper.client.secure=true -Dzookeeper.clientCnxnSocket=org.apache.zookeeper.ClientCnxnSocketNetty
  -Dzookeeper.ssl.keyStore.location=$keystore -Dzookeeper.ssl.keyStore.type=PEM
  -Dzookeeper.ssl.trustStore.location=$ca -Dzookeeper.ssl.trustStore.type=PEM"
base=/zkcli-secure-$$

CLIENT_JVMFLAGS="$cp $tls -Djava.security.auth.login.config=$dir/jaas.conf" \
  timeout 60 "$zkcli" -server "$secure" >"$dir/secure.out" 2>&1 <<CMDS || true
whoami
create $base data sasl:alice:cdrwa
getAcl $base
get $base
delete $base
quit
CMDS

CLIENT_JVMFLAGS="$cp" timeout 60 "$zkcli" -server "$plain" >"$dir/anon.out" 2>&1 <<CMDS || true
ls /
quit
CMDS

fail=0
expect() {
  if ! grep -qF -- "$2" "$dir/$1.out"; then
    echo "FAIL: zkCli ($1) output lacks: $2" >&2
    fail=1
  fi
}
expect secure "sasl: alice"
expect secure "x509: CN=zkcli"
expect secure "Created $base"
expect secure "'sasl,'alice"
expect anon "authenticate"
if [ $fail -ne 0 ]; then
  for f in secure anon; do echo "---- zkCli $f ----" >&2; cat "$dir/$f.out" >&2; done
  exit 1
fi
grep -E "^(ip|sasl|x509|super): " "$dir/secure.out" || true
echo "zkCli secure: all checks passed"
