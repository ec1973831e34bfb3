#!/usr/bin/python3
"""One kazoo session for the ensemble differential tests.

Usage: kazoo_session.py HOST:PORT,... SESSION_TIMEOUT_SECONDS [ro]

Prints "STATE <KazooState> <KeeperState> <session: first|same|new>" at every
state change (the session id relative to the first one), then runs commands
read from stdin, one per line, and prints one result line for each:
  create PATH   -> "create OK" or "create <ExceptionName>"
  get PATH      -> "get OK <data>" or "get <ExceptionName>"
  wait STATE    -> "wait OK" once the KeeperState is STATE (CONNECTED,
                   CONNECTED_RO), "wait TIMEOUT" after 30 s
Exit at end of input.
"""
import sys
import threading

from kazoo.client import KazooClient

hosts, timeout = sys.argv[1], float(sys.argv[2])
read_only = len(sys.argv) > 3 and sys.argv[3] == "ro"
out_lock = threading.Lock()
changed = threading.Condition()
first = []


def out(line):
    with out_lock:
        print(line, flush=True)


zk = KazooClient(hosts=hosts, timeout=timeout, read_only=read_only)


def session_label():
    cid = zk.client_id
    if not cid or not cid[0]:
        return "none"
    if not first:
        first.append(cid[0])
        return "first"
    return "same" if cid[0] == first[0] else "new"


def listener(state):
    out("STATE %s %s %s" % (state, zk.client_state, session_label()))
    with changed:
        changed.notify_all()


zk.add_listener(listener)
zk.start(timeout=30)
for line in sys.stdin:
    cmd = line.split()
    if not cmd:
        continue
    try:
        if cmd[0] == "create":
            zk.create(cmd[1], b"k")
            out("create OK")
        elif cmd[0] == "get":
            data, _ = zk.get(cmd[1])
            out("get OK %s" % data.decode())
        elif cmd[0] == "wait":
            with changed:
                ok = changed.wait_for(lambda: str(zk.client_state) == cmd[1], timeout=30)
            out("wait %s" % ("OK" if ok else "TIMEOUT"))
    except Exception as e:  # the exception's name is the outcome
        out("%s %s" % (cmd[0], type(e).__name__))
zk.stop()
