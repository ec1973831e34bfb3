// Package zkimport reads an Apache ZooKeeper 3.x data directory (the
// jute-serialized version-2/snapshot.<zxid> and log.<zxid> files) into a
// datatree.Tree, the way ZooKeeper 3.8's FileTxnSnapLog restores it: the
// newest snapshot whose Adler32 seal verifies (plain or gzip), then every
// transaction after the snapshot's zxid from the logs, each record's checksum
// checked, a torn tail ignored. Transactions are replayed with DataTree's own
// rules (fuzzy-snapshot tolerance included), the tree digests ZooKeeper keeps
// (the snapshot trailer and each log record's) are compared, and quota stat
// nodes are recomputed as ZooKeeper does on load.
//
// The result keeps ZooKeeper's stats, data, ACLs, container and TTL nodes and
// sequence counters. Sessions are not carried over: their ephemeral nodes are
// removed as if the sessions had expired, at one zxid after the last one.
// /zookeeper and /zookeeper/config are the new server's own.
//
// Every length read from the files is bounded by what remains of the file
// (and by jute.maxbuffer), so hostile input cannot force a large allocation.
package zkimport
