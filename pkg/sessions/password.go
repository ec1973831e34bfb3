package sessions

import "crypto/subtle"

// superSecret is ZooKeeper's fixed password seed (ZooKeeperServer.superSecret).
const superSecret = 0xB3415C00

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

// PasswordLen is the length of a session password; the C client requires 16.
const PasswordLen = 16

// Password returns the password of session sid, exactly as ZooKeeper's
// generatePasswd: any server can recompute it from the id.
func Password(sid int64) []byte {
	b := make([]byte, PasswordLen)
	newJavaRandom(sid ^ superSecret).nextBytes(b)
	return b
}

// CheckPassword is ZooKeeper's checkPasswd.
func CheckPassword(sid int64, passwd []byte) bool {
	return sid != 0 && subtle.ConstantTimeCompare(passwd, Password(sid)) == 1
}
