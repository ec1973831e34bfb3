// Package sessions owns ZooKeeper's session mechanics: session ids (server id
// in the top byte, a monotonic millisecond clock below), passwords
// (HMAC-SHA256 of the session id under the ensemble's secret, so any member
// holding the secret can verify them and nobody else can compute them;
// ZooKeeper's java.util.Random passwords only for sessions created before the
// secret existed), timeout negotiation, and the tick-bucketed expiry queue and tracker.
package sessions
