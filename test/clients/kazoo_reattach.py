#!/usr/bin/python3
"""Hold a kazoo session with an ephemeral node while the test kills the member
it is attached to; at end of input, check that kazoo reattached to the same
session elsewhere (same session id, the ephemeral still its own).

Usage: kazoo_reattach.py HOST:PORT,HOST:PORT,... PATH   (exit status 0 on success)
"""
import sys

from kazoo.client import KazooClient
from kazoo.protocol.states import KazooState

hosts, path = sys.argv[1], sys.argv[2]
zk = KazooClient(hosts=hosts, timeout=20.0)
zk.start(timeout=20)
sid = zk.client_id[0]
zk.create(path, b"k", ephemeral=True)
print("session 0x%x holds %s" % (sid, path), flush=True)
sys.stdin.read()  # the test kills our member, waits for the reattach, then closes stdin
ok = zk.state == KazooState.CONNECTED and zk.client_id[0] == sid
st = zk.exists(path)
ok = ok and st is not None and st.ephemeralOwner == sid
print("after: state %s session 0x%x owner 0x%x" % (zk.state, zk.client_id[0], st.ephemeralOwner if st else 0), flush=True)
zk.stop()
sys.exit(0 if ok else 1)
