// Package sessions owns ZooKeeper's session mechanics: session ids (server id
// in the top byte, a monotonic millisecond clock below), passwords any server
// can verify from the id alone (java.util.Random, identical to ZooKeeper's),
// timeout negotiation, and the tick-bucketed expiry queue and tracker.
package sessions
