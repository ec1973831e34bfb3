// Package nemesis runs ensembles of 3 or 5 real zkensemble-server processes,
// each in its own network namespace joined by veth pairs to a bridge in a
// hub namespace, and real ZooKeeper clients (pkg/zkclient and
// github.com/go-zookeeper/zk) in the host namespace, through a schedule of
// faults drawn from a seed: partitions (a minority, the leader alone, a
// member bridging two sides that cannot see each other), packet loss,
// delay with reordering (NFQUEUE: the kernel has no netem), SIGSTOP pauses longer than the election timeout, kill -9 and restart, and
// one client cut off for longer or shorter than its session timeout.
//
// Every rule a fault adds is in the NEMESIS chain of a member's namespace
// (netns.go); the host's own iptables chains are never touched. A Fault
// (faults.go) has Inject and Heal and gets the Cluster, whose members expose
// their data directories, so a disk-fault layer can be plugged in.
//
// The clients' history is checked after every run (checks.go): porcupine
// for the registers and the sequential creates (package model), no
// acknowledged create lost and no sequential name given twice, every
// workload session still holding its ephemeral, every probe's ephemeral gone
// exactly when its session had to expire, and no session of a client that
// could reach a quorum expired. A failing run saves its history, porcupine's
// visualization, the members' logs and its seed (artifacts.go).
//
// Needs root; see docs/fault-testing.md for running and figures.
package nemesis
