// Package failoverload is the load of the failover test and benchmark: N
// sessions of our client (pkg/zkclient), each setting its own znode in a
// closed loop, that report when every client has written again after a
// mark (a leader's kill), how many sessions expired, and whether every
// acknowledged write is still there afterwards. test/compat and cmd/zkbench
// run it against our ensemble and ZooKeeper 3.8 alike.
package failoverload
