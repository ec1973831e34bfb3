// Package seed writes a fresh data directory that `zkensemble-server
// --dataDir DST` serves, holding a given znode tree at a given zxid: the end
// of a restore from a backup (pkg/backup) and of an import from Apache
// ZooKeeper (pkg/zkimport).
//
// The directory is that of member MemberID (default 1) of ensemble
// EnsembleID: its stamp, its myid file and a Raft log (version-2/) that
// starts with a snapshot of the state machine, in which this member is the
// only voter. Started standalone it serves the tree at once; started with
// server lines it elects itself, and the other members join it as usual
// (empty volumes, --join), as learners first. /zookeeper/config is emptied:
// it is rewritten from the new membership when the first member joins.
//
// Sessions are not carried over: the state has no session, every ephemeral
// znode a session owned is removed, as if its session had expired (at the
// seeded zxid, so their parents' pzxid and cversion show the removal), and a
// client that reconnects with an old session id gets SessionExpired, as
// ZooKeeper's clients do after their session timed out. Containers and TTL
// znodes stay. There is no session password secret either: a new one is
// made when the first session is created.
//
// Zxid continuity: zxids are term<<32 | n. The Raft log is written at term
// max(zxid>>32, 1), so the member's first election puts it in a later term
// and every new write gets a zxid above the seeded one; a client whose
// lastZxidSeen is at most the seeded zxid is accepted.
package seed
