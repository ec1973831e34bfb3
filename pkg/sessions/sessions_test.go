package sessions

import (
	"encoding/hex"
	"testing"
)

func TestPasswordVectors(t *testing.T) {
	// Checked against java.util.Random and live ZooKeeper 3.8.0 responses.
	for sid, want := range map[uint64]string{
		0x0100000a7fc60005: "37a9f59ba55e9e8940e5feadf808b171",
		0x0100000a7fc60006: "fe45079cc57b00bb611cc92b7d6e730a",
		0x0100000a7fc6000d: "d0b1c69ba5bb98b0eafc3809954f55da",
		0x0100000a1b2c0000: "3665714e8bcd93350432be484c2c3d03",
		0xff00000000000001: "054cc74a37327db215e702e20c73f005",
	} {
		if got := hex.EncodeToString(ZooKeeperPassword(int64(sid))); got != want {
			t.Errorf("ZooKeeperPassword(%#x) = %s, want %s", sid, got, want)
		}
		pw, _ := hex.DecodeString(want)
		if !CheckZooKeeperPassword(int64(sid), pw) {
			t.Errorf("CheckZooKeeperPassword(%#x) refused the right password", sid)
		}
		pw[0] ^= 1
		if CheckZooKeeperPassword(int64(sid), pw) {
			t.Errorf("CheckZooKeeperPassword(%#x) accepted a wrong password", sid)
		}
	}
	if CheckZooKeeperPassword(0, ZooKeeperPassword(0)) {
		t.Error("session 0 must never validate")
	}
}

// TestHMACPassword: the password is HMAC-SHA256(secret, sid)[:16] (RFC 4231's
// first vector checks the construction), differs per secret and per session,
// and neither the ZooKeeper password nor another secret's passes.
func TestHMACPassword(t *testing.T) {
	key := make([]byte, 20)
	for i := range key {
		key[i] = 0x0b
	}
	// RFC 4231 test case 1: key 20 bytes of 0x0b, message "Hi There", which is
	// 8 bytes, so it is the big-endian session id 0x4869205468657265.
	sid := int64(0x4869205468657265)
	want := "b0344c61d8db38535ca8afceaf0bf12b" // the first 16 bytes of its HMAC-SHA256
	if got := hex.EncodeToString(Password(key, sid)); got != want {
		t.Fatalf("Password = %s, want %s", got, want)
	}
	a, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewSecret()
	if len(a) != SecretLen || string(a) == string(b) {
		t.Fatalf("secrets %x %x", a, b)
	}
	tests := []struct {
		name   string
		secret []byte
		sid    int64
		passwd []byte
		ok     bool
	}{
		{"own password", a, 0x0100000a7fc60005, Password(a, 0x0100000a7fc60005), true},
		{"ZooKeeper's password", a, 0x0100000a7fc60005, ZooKeeperPassword(0x0100000a7fc60005), false},
		{"another secret's", a, 0x0100000a7fc60005, Password(b, 0x0100000a7fc60005), false},
		{"another session's", a, 0x0100000a7fc60005, Password(a, 0x0100000a7fc60006), false},
		{"no secret", nil, 0x0100000a7fc60005, Password(nil, 0x0100000a7fc60005), false},
		{"session 0", a, 0, Password(a, 0), false},
		{"short", a, 1, Password(a, 1)[:8], false},
	}
	for _, tc := range tests {
		if got := CheckPassword(tc.secret, tc.sid, tc.passwd); got != tc.ok {
			t.Errorf("%s: CheckPassword = %v, want %v", tc.name, got, tc.ok)
		}
		if len(Password(a, tc.sid)) != PasswordLen {
			t.Errorf("%s: password length", tc.name)
		}
	}
}

func TestInitialID(t *testing.T) {
	tests := []struct {
		server uint8
		ms     int64
		want   uint64
	}{
		{1, 0xa7fc6, 0x0100000a7fc60000},
		{2, 0xe5272, 0x0200000e52720000},
		// Bit 39 of the clock set (wall-clock ms since 2022): the id stays positive
		// and keeps its server byte (ZOOKEEPER-1622).
		{1, 1 << 39, 0x0180000000000000},
		{255, 1<<40 - 1, 0xffffffffffff0000},
	}
	for _, tc := range tests {
		got := uint64(InitialID(tc.server, tc.ms))
		if got != tc.want {
			t.Errorf("InitialID(%d, %#x) = %#x, want %#x", tc.server, tc.ms, got, tc.want)
		}
		if ServerOf(int64(got)) != tc.server {
			t.Errorf("server byte of %#x", got)
		}
	}
	g := NewIDGenerator(1)
	a, b := g.Next(), g.Next()
	if a <= 0 || b != a+1 || ServerOf(a) != 1 {
		t.Fatalf("ids %#x %#x", a, b)
	}
}

func TestClamp(t *testing.T) {
	b := DefaultBounds(2000)
	for req, want := range map[int32]int32{1000: 4000, 100000: 40000, 30000: 30000} {
		if got := b.Clamp(req); got != want {
			t.Errorf("Clamp(%d) = %d, want %d", req, got, want)
		}
	}
}

func TestExpiryQueueBuckets(t *testing.T) {
	q := NewExpiryQueue[string](2000, 1000) // next bucket at 2000
	q.Update("a", 4000, 1500)               // 5500 → bucket 6000
	if at, _ := q.ExpiryOf("a"); at != 6000 {
		t.Fatalf("bucket %d", at)
	}
	q.Update("a", 4000, 1900) // 5900 → same bucket
	q.Update("b", 4000, 2000) // 6000 → strictly after: 8000
	if at, _ := q.ExpiryOf("b"); at != 8000 {
		t.Fatalf("bucket of b %d", at)
	}
	var got []string
	for now := int64(1000); now <= 8000; now += 1000 {
		for {
			due := q.Poll(now)
			if due == nil {
				break
			}
			for _, k := range due {
				got = append(got, k+"@"+itoa(now))
			}
		}
	}
	if len(got) != 2 || got[0] != "a@6000" || got[1] != "b@8000" {
		t.Fatalf("expired %v", got)
	}
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
