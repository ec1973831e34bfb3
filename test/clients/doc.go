// Package clients runs real ZooKeeper clients that are not written in Go —
// the Java zkCli.sh, Python's kazoo and the C client — against our server,
// and the same scripts against Apache ZooKeeper 3.8 so the scripts themselves
// are proven.
package clients
