#!/usr/bin/python3
"""kazoo over TLS (use_ssl, a client certificate) and SASL DIGEST-MD5
(sasl_options, python3-pure-sasl) against a server that requires sasl or
x509 (enforce.auth.schemes=sasl,x509). Prints the ids whoAmI returns.

Usage: kazoo_secure_check.py PLAIN_HOST:PORT SECURE_HOST:PORT CA CERT KEY
"""
import os
import sys

from kazoo.client import KazooClient
from kazoo.exceptions import AuthFailedError, NoAuthError
from kazoo.protocol.serialization import int_struct, read_string
from kazoo.security import ACL, Id, Permissions

plain, secure, ca, cert, key = sys.argv[1:6]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


class WhoAmI:
    type = 107

    def serialize(self):
        return b""

    @classmethod
    def deserialize(cls, data, offset):
        count = int_struct.unpack_from(data, offset)[0]
        offset += 4
        out = []
        for _ in range(count):
            scheme, offset = read_string(data, offset)
            user, offset = read_string(data, offset)
            out.append("%s:%s" % (scheme, user))
        return out


def call(zk, req):
    result = zk.handler.async_result()
    zk._call(req, result)
    return result.get(timeout=10)


def client(hosts, **kw):
    return KazooClient(hosts=hosts, timeout=10, connection_retry={"max_tries": 0}, **kw)


sasl = {"mechanism": "DIGEST-MD5", "username": "alice", "password": "alice-pw"}

# TLS with a client certificate and SASL: both ids.
zk = client(secure, use_ssl=True, ca=ca, certfile=cert, keyfile=key, sasl_options=sasl)
zk.start(timeout=15)
ids = call(zk, WhoAmI())
print("whoami (tls+sasl):", " ".join(ids))
check("sasl:alice" in ids, "sasl id")
check(any(i.startswith("x509:CN=kazoo") for i in ids), "x509 id")
only_alice = [ACL(Permissions.ALL, Id("sasl", "alice"))]
zk.create("/kazoo-secure", b"s", acl=only_alice)
check(zk.get("/kazoo-secure")[0] == b"s", "read own node")
zk.stop()
zk.close()

# SASL alone on the plain port.
zk = client(plain, sasl_options=sasl)
zk.start(timeout=15)
check(zk.get("/kazoo-secure")[0] == b"s", "sasl:alice reads over the plain port")
zk.stop()
zk.close()

# A certificate without SASL: x509 is a required scheme too, but the
# node's ACL names sasl:alice only.
zk = client(secure, use_ssl=True, ca=ca, certfile=cert, keyfile=key)
zk.start(timeout=15)
try:
    zk.get("/kazoo-secure")
    check(False, "x509 client read a sasl-only node")
except NoAuthError:
    pass
zk.stop()
zk.close()

# Refusals. kazoo 2.8 does not know SessionClosedRequireSasl (-124), which
# both servers answer here, and its connection thread stops on it; so each
# refusal is checked with a deadline and the clients are left behind.
def refused(zk, what):
    try:
        zk.start(timeout=10)
    except Exception as e:
        print(what, "refused at connect:", type(e).__name__)
        return
    try:
        zk.get_async("/").get(timeout=5)
        check(False, what + " read")
    except Exception as e:
        print(what, "refused:", type(e).__name__)


refused(client(plain, sasl_options=dict(sasl, password="guess")), "wrong password")
refused(client(plain), "no credentials")

if failures:
    os._exit(1)
print("kazoo secure: all checks passed")
sys.stdout.flush()
os._exit(0)
