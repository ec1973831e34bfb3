package transport

import (
	"bufio"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// The handshake: hello, then (with a shared secret) challenge and proof,
// then the acceptor's verdict.

var helloMagic = [4]byte{'Z', 'K', 'E', '2'}

// maxEnsembleID bounds the ensemble id a hello may carry.
const maxEnsembleID = 255

// hello is the dialer's introduction.
type hello struct {
	ensemble string
	from, to uint64
	nonce    [32]byte
}

func (h *hello) encode() []byte {
	b := append([]byte{}, helloMagic[:]...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(h.ensemble)))
	b = append(b, h.ensemble...)
	b = binary.BigEndian.AppendUint64(b, h.from)
	b = binary.BigEndian.AppendUint64(b, h.to)
	return append(b, h.nonce[:]...)
}

var errNotMember = errors.New("transport: not a zkensemble member stream")

func readHello(r io.Reader) (*hello, error) {
	var h [6]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	if [4]byte(h[:4]) != helloMagic {
		return nil, errNotMember
	}
	n := binary.BigEndian.Uint16(h[4:])
	if n > maxEnsembleID {
		return nil, fmt.Errorf("%w: ensemble id of %d bytes", errNotMember, n)
	}
	rest := make([]byte, int(n)+16+32)
	if _, err := io.ReadFull(r, rest); err != nil {
		return nil, err
	}
	out := &hello{ensemble: string(rest[:n]), from: binary.BigEndian.Uint64(rest[n:]), to: binary.BigEndian.Uint64(rest[n+8:])}
	copy(out.nonce[:], rest[n+16:])
	return out, nil
}

func newNonce() (n [32]byte) {
	if _, err := rand.Read(n[:]); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return n
}

// proof is what a side that knows the secret sends: an HMAC over both
// nonces and the stream's names, distinct for each side.
func proof(secret []byte, side byte, h *hello, acceptorNonce [32]byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte{side})
	m.Write(h.encode())
	m.Write(acceptorNonce[:])
	return m.Sum(nil)
}

const (
	sideAcceptor byte = 'A'
	sideDialer   byte = 'D'
	proofLen          = sha256.Size
)

func readProof(r io.Reader) ([]byte, error) {
	b := make([]byte, proofLen)
	_, err := io.ReadFull(r, b)
	return b, err
}

// Verdicts of the acceptor.
type verdict byte

const (
	accepted verdict = 0
	// refused: anything but removal. The reason names no ids.
	refused verdict = 1
	// challenge: the reason carries the acceptor's nonce and proof of the
	// shared secret; the dialer answers with its proof, then the verdict comes.
	challenge verdict = 2
	// removed: the dialer was removed from the configuration.
	removed verdict = 3
)

// maxReason bounds a verdict's reason.
const maxReason = 1 << 10

func writeVerdict(w io.Writer, code verdict, reason string) error {
	if len(reason) > maxReason {
		reason = reason[:maxReason]
	}
	b := make([]byte, 0, 3+len(reason))
	b = append(b, byte(code))
	b = binary.BigEndian.AppendUint16(b, uint16(len(reason)))
	_, err := w.Write(append(b, reason...))
	return err
}

func readVerdict(r *bufio.Reader) (verdict, string, error) {
	var h [3]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, "", err
	}
	n := binary.BigEndian.Uint16(h[1:])
	if n > maxReason {
		return 0, "", fmt.Errorf("%w: a verdict of %d bytes", errNotMember, n)
	}
	reason := make([]byte, n)
	if _, err := io.ReadFull(r, reason); err != nil {
		return 0, "", err
	}
	return verdict(h[0]), string(reason), nil
}
