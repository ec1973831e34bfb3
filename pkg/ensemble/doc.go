// Package ensemble replicates the session server's transactions on Raft
// (go.etcd.io/raft/v3 with PreVote, CheckQuorum, learners and ReadIndex): a
// Node is one member, with its write-ahead log and snapshots in the data
// directory (etcd's own wal and snap packages), a TCP transport between
// members, and ReadIndex for sync. A Node implements sessionserver.Log and
// drives the server's state machine with committed entries, in order, with
// each entry's term (the zxid's epoch), on every member; a single member is
// an ensemble of one with the same durability.
//
// Files: node.go (configuration, start, Propose), raftloop.go (the Ready
// loop: persist, send, advance), apply.go (the apply goroutine, snapshots
// and compaction), storage.go (WAL, snapshot files, purge), readindex.go
// (Barrier), transport.go (member streams, hello, fault injection),
// membership.go (learners, promotion, removal, transfer), removal.go
// (a removal's record, tombstones in snapshots),
// lostlog.go (what a member whose log was lost must not do), forcenew.go
// (recovery from one survivor after losing a majority),
// reconfig.go and reconfigplan.go (the reconfig opcode), sessions.go
// (leader-run session expiry, follower touch reports), quorum.go (whether
// the member is in touch with a quorum: sessionserver.Quorum), failover.go
// (a prompt election when the leader's streams are gone), admin.go (the
// adminapi handler, readiness), stamp.go (the data directory's identity),
// seed.go (a new member's log that starts from a given state: pkg/seed),
// snapconf.go (a snapshot is due when the last one leaves out a member).
package ensemble
