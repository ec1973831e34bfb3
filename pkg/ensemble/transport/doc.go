// Package transport carries Raft messages and a member's other frames
// between ensemble members over TCP, the way etcd's rafthttp splits the job:
// Transport (the listener, the peer table, Send) hands inbound messages to a
// Raft interface and asks a Members interface who may talk; a peer is one
// outbound stream with its queue and writer; a stream is one inbound
// connection; the handshake and the frame codec are their own files.
//
// Trust. A peer proves who it is before anything it says is believed: with
// mutual TLS (certs) its certificate names its ensemble and member id; in
// development, a shared secret proves it knows the ensemble's credential
// (challenge and response both ways). Without either the transport runs
// insecure, and says so. On every stream, whatever the mode: only members the
// Members interface admits get past the hello; a message whose From is not
// the stream's member is dropped; proposals are checked by Members before
// Raft sees them; a frame is bounded and its memory grows only as its bytes
// arrive; snapshots travel in bounded chunks; a refusal says "refused"
// without naming ids; and a verdict that this member was removed is believed
// only from an authenticated peer.
//
// Wire format, dialer to acceptor, after the TLS handshake when TLS is on:
// the hello ("ZKE2", ensemble id length uint16 and bytes, from uint64, to
// uint64, nonce [32]byte); with a shared secret the acceptor answers a
// challenge (its nonce and its proof) and the dialer its proof; then the
// acceptor's verdict (code byte, reason length uint16 and bytes), and frames
// (length uint32, kind byte, body) from the dialer. Later verdicts from the
// acceptor end the stream (the dialer was removed meanwhile).
package transport
