// Package compat holds the differential test: the same request sequences go
// over raw sockets to our server and to Apache ZooKeeper 3.8, both started on
// loopback, and their replies must match byte for byte once the values
// ZooKeeper itself does not make deterministic are normalised.
package compat
