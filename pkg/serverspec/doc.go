// Package serverspec is ZooKeeper's server line, the one grammar behind
// zoo.cfg's server.N keys, the reconfig opcode's joining and new-member
// lists, and the lines of /zookeeper/config:
//
//	server.N=host:quorumPort:electionPort[:participant|observer][;[clientHost:]clientPort]
//
// Parse reads a line as ZooKeeper 3.8's QuorumServer does (IPv6 hosts in
// brackets; one address per server); Spec.String writes it back as
// QuorumServer.toString does, so /zookeeper/config prints both ports as
// configured and the client part only when one was given.
package serverspec
