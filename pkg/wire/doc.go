// Package wire is the Jute binary codec of the ZooKeeper client protocol:
// framing, every request and response record, opcodes, error codes and the
// event and state enums. The server and the Go client share it.
//
// Decoding never panics and never allocates more than the input it was given,
// so a hostile packet costs at most its own size. Like ZooKeeper, decoders
// ignore bytes that follow a complete record.
package wire
