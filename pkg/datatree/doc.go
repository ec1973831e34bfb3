// Package datatree is the znode tree: nodes and their stats, sequential,
// ephemeral, container and TTL nodes, ACL checks, every write's validation in
// ZooKeeper 3.8's order, atomic multi, session kills, SetWatches catch-up, and
// snapshots. It fires watches through pkg/watches while a change is applied,
// so notifications are queued before the reply of the write that caused them.
//
// The tree is deterministic: the same writes (with the same zxids and times)
// produce the same tree on every member. One goroutine applies writes under
// Lock; readers hold RLock while they read, register watches and queue their
// replies, so no change slips between a read and its watch.
package datatree
