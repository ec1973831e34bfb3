// Package zkclient is a ZooKeeper client with the Java client's session
// semantics and server-list rebalancing, so applications follow membership
// changes of an ensemble.
//
// It keeps one session across connections: on a lost connection it moves to
// the next server of a shuffled ring and reattaches with the session id and
// password, replays authentication and restores watches with setWatches.
// Session states arrive in order on a channel; an expired session is reported
// and never silently replaced. UpdateServerList rebalances clients with
// ZooKeeper's probabilistic rule (ZOOKEEPER-1355), and TrackEnsemble follows
// /zookeeper/config the way Curator's ensemble tracker does.
//
// Paths are relative to the connect string's chroot in requests, replies and
// watch events.
package zkclient
