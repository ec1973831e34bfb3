// Package ensemble replicates the session server's transactions on Raft
// (go.etcd.io/raft/v3): a Node is one member, with its write-ahead log and
// snapshots in the data directory (etcd's own wal and snap packages), a TCP
// transport between members, and ReadIndex for sync. A Node implements
// sessionserver.Log and drives the server's state machine with committed
// entries, in order, on every member; a single member is an ensemble of one
// with the same durability.
package ensemble
