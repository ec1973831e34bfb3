package sessions

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
)

// PasswordLen is the length of a session password; the C client requires 16.
const PasswordLen = 16

// SecretLen is the length of an ensemble's password secret.
const SecretLen = 32

// NewSecret returns SecretLen random bytes, the key of every session password
// of an ensemble.
func NewSecret() ([]byte, error) {
	b := make([]byte, SecretLen)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return b, nil
}

// Password returns the password of session sid under the ensemble's secret:
// the first PasswordLen bytes of HMAC-SHA256(secret, sid as 8 big-endian
// bytes). Any member that holds the secret can verify it; nobody without the
// secret can compute it from the session id.
func Password(secret []byte, sid int64) []byte {
	var id [8]byte
	binary.BigEndian.PutUint64(id[:], uint64(sid))
	m := hmac.New(sha256.New, secret)
	m.Write(id[:])
	return m.Sum(nil)[:PasswordLen]
}

// CheckPassword reports, in constant time, whether passwd is sid's password under secret.
func CheckPassword(secret []byte, sid int64, passwd []byte) bool {
	return sid != 0 && len(secret) > 0 && subtle.ConstantTimeCompare(passwd, Password(secret, sid)) == 1
}

// zooKeeperSeed is ZooKeeper's fixed password seed (ZooKeeperServer.superSecret).
const zooKeeperSeed = 0xB3415C00

// javaRandom is java.util.Random: a 48-bit linear congruential generator.
type javaRandom struct{ seed int64 }

const (
	jrMultiplier = 0x5DEECE66D
	jrMask       = (1 << 48) - 1
)

func newJavaRandom(seed int64) *javaRandom { return &javaRandom{seed: (seed ^ jrMultiplier) & jrMask} }

func (r *javaRandom) next32() int32 {
	r.seed = (r.seed*jrMultiplier + 0xB) & jrMask
	return int32(r.seed >> 16)
}

// nextBytes fills b as Random.nextBytes: each int gives up to four bytes, low byte first.
func (r *javaRandom) nextBytes(b []byte) {
	for i := 0; i < len(b); {
		rnd := r.next32()
		for n := min(len(b)-i, 4); n > 0; n-- {
			b[i] = byte(rnd)
			rnd >>= 8
			i++
		}
	}
}

// ZooKeeperPassword returns the password ZooKeeper's generatePasswd gives
// session sid: java.util.Random seeded with sid ^ 0xB3415C00. Anyone who
// knows a session id can compute it, so it is accepted only for legacy
// sessions (created before the ensemble had a secret).
func ZooKeeperPassword(sid int64) []byte {
	b := make([]byte, PasswordLen)
	newJavaRandom(sid ^ zooKeeperSeed).nextBytes(b)
	return b
}

// CheckZooKeeperPassword is ZooKeeper's checkPasswd.
func CheckZooKeeperPassword(sid int64, passwd []byte) bool {
	return sid != 0 && subtle.ConstantTimeCompare(passwd, ZooKeeperPassword(sid)) == 1
}
