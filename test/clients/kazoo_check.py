#!/usr/bin/python3
"""Drive a ZooKeeper server with kazoo (a real Python client) and check the
answers. Covers what go-zookeeper cannot send: create2 (create with stat),
multiRead, whoAmI, addWatch (persistent and recursive), getEphemerals, and
kazoo's 45-byte ConnectRequest (with the readOnly byte).

Usage: kazoo_check.py HOST:PORT   (exit status 0 on success)
"""
import os
import sys
import threading

from kazoo.client import KazooClient
from kazoo.exceptions import BadVersionError, NoAuthError, NodeExistsError, NoNodeError, NotEmptyError
from kazoo.protocol.serialization import int_struct, read_string, write_string, stat_struct, read_buffer
from kazoo.security import make_digest_acl, OPEN_ACL_UNSAFE
import struct

host = sys.argv[1]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


# Requests kazoo 2.8 has no method for, sent through kazoo's own connection.
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
            out.append((scheme, user))
        return out


class AddWatch:
    type = 106

    def __init__(self, path, mode):
        self.path, self.mode = path, mode

    def serialize(self):
        return write_string(self.path) + int_struct.pack(self.mode)

    @classmethod
    def deserialize(cls, data, offset):
        return int_struct.unpack_from(data, offset)[0]


class WatchesOp:
    """checkWatches (17) or removeWatches (18) with a watcher type."""

    def __init__(self, op, path, wtype):
        self.type, self.path, self.wtype = op, path, wtype

    def serialize(self):
        return write_string(self.path) + int_struct.pack(self.wtype)

    @classmethod
    def deserialize(cls, data, offset):
        return True


class GetEphemerals:
    type = 103

    def __init__(self, prefix):
        self.prefix = prefix

    def serialize(self):
        return write_string(self.prefix)

    @classmethod
    def deserialize(cls, data, offset):
        count = int_struct.unpack_from(data, offset)[0]
        offset += 4
        out = []
        for _ in range(count):
            p, offset = read_string(data, offset)
            out.append(p)
        return sorted(out)


class MultiRead:
    type = 22

    def __init__(self, paths):
        self.paths = paths

    def serialize(self):
        b = bytearray()
        for p in self.paths:
            b += struct.pack("!iBi", 4, 0, -1) + write_string(p) + b"\x00"  # getData, no watch
        b += struct.pack("!iBi", -1, 1, -1)
        return bytes(b)

    @classmethod
    def deserialize(cls, data, offset):
        out = []
        while True:
            typ, done, err = struct.unpack_from("!iBi", data, offset)
            offset += 9
            if done:
                return out
            if typ == -1:
                code = int_struct.unpack_from(data, offset)[0]
                offset += 4
                out.append(("error", code))
            else:
                value, offset = read_buffer(data, offset)
                offset += stat_struct.size
                out.append(("data", value))


def call(zk, req):
    from kazoo.handlers.utils import AsyncResult  # noqa: F401
    result = zk.handler.async_result()
    zk._call(req, result)
    return result.get(timeout=10)


events = []
got_event = threading.Event()


def on_event(ev):
    events.append((ev.type, ev.path))
    got_event.set()


zk = KazooClient(hosts=host, timeout=10)
zk.start(timeout=15)
try:
    base = "/kazoo-%d" % os.getpid()
    path, stat = zk.create(base, b"root", include_data=True)  # create2
    check(path == base and stat.version == 0 and stat.dataLength == 4, "create2 returns path and stat: %r %r" % (path, stat))
    try:
        zk.create(base)
        check(False, "duplicate create must fail")
    except NodeExistsError:
        pass
    seq = zk.create(base + "/s-", sequence=True)
    check(seq == base + "/s-0000000000", "sequential name %r" % seq)
    eph = zk.create(base + "/e", b"x", ephemeral=True)
    data, stat = zk.get(base)
    check(data == b"root" and stat.numChildren == 2, "get %r %r" % (data, stat))
    zk.set(base, b"v2", version=0)
    try:
        zk.set(base, b"v3", version=0)
        check(False, "stale version must fail")
    except BadVersionError:
        pass
    children = sorted(zk.get_children(base))
    check(children == ["e", "s-0000000000"], "children %r" % children)
    try:
        zk.delete(base)
        check(False, "non-empty delete must fail")
    except NotEmptyError:
        pass
    # Transactions (multi).
    tx = zk.transaction()
    tx.create(base + "/t1", b"a")
    tx.set_data(base + "/t1", b"b")
    tx.check(base, 1)
    results = tx.commit()
    check(results[0] == base + "/t1" and results[1].version == 1 and results[2] is True, "transaction %r" % results)
    tx = zk.transaction()
    tx.create(base + "/t2")
    tx.delete(base + "/missing")
    results = tx.commit()
    check(isinstance(results[1], NoNodeError) and not zk.exists(base + "/t2"), "failed transaction %r" % results)
    # Digest ACLs.
    zk.add_auth("digest", "bob:pw")
    zk.create(base + "/secret", b"s", acl=[make_digest_acl("bob", "pw", all=True)])
    other = KazooClient(hosts=host, timeout=10)
    other.start(timeout=15)
    try:
        other.get(base + "/secret")
        check(False, "unauthenticated read must fail")
    except NoAuthError:
        pass
    # Watches: a one-shot data watch, then persistent recursive ones (addWatch).
    got_event.clear()
    zk.get(base + "/t1", watch=on_event)
    other.set(base + "/t1", b"changed")
    check(got_event.wait(10) and events[-1] == ("CHANGED", base + "/t1"), "data watch %r" % events)
    mode = call(zk, AddWatch(base, 1))
    check(mode == 0, "addWatch reply body %r" % mode)
    check(call(zk, WatchesOp(17, base, 3)) is True, "checkWatches finds the persistent watch")
    check(call(zk, WatchesOp(18, base, 3)) is True, "removeWatches removes it")
    # (NoWatcher, -121, is left to the differential test: kazoo 2.8 has no
    # exception class for it and drops the connection.)
    # whoAmI and getEphemerals.
    who = call(zk, WhoAmI())
    check(("ip", "127.0.0.1") in who and ("digest", "bob") in who, "whoAmI %r" % who)
    ephs = call(zk, GetEphemerals("/"))
    check(ephs == [eph], "getEphemerals %r" % ephs)
    # multiRead: per-op results, errors in place.
    mr = call(zk, MultiRead([base + "/t1", base + "/nothere"]))
    check(mr == [("data", b"changed"), ("error", -101)], "multiRead %r" % mr)
    # sync and a four-letter word through kazoo.
    check(zk.sync(base) == base, "sync echoes the path")
    check(zk.command(b"ruok") == "imok", "ruok")
    other.stop()
    other.close()
    zk.delete(base, recursive=True)
finally:
    zk.stop()
    zk.close()

if failures:
    print("%d check(s) failed" % len(failures), file=sys.stderr)
    sys.exit(1)
print("kazoo: all checks passed")
