package sessionserver

import (
	"slices"
	"testing"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

// TestAuthIDOrder: ids come out in the order ZooKeeper 3.8's hash set of
// Id gives them (measured with whoAmI after addauth on ZooKeeper: "blah"
// and "" put the digest first, ":" and "alice:pw" after the ip id).
func TestAuthIDOrder(t *testing.T) {
	ip := wire.Id{Scheme: "ip", ID: "127.0.0.1"}
	tests := []struct {
		auth        string
		digestFirst bool
	}{
		{"blah", true}, {"", true}, {"a:b:c", true}, {":pw", true}, {":", false}, {"alice:pw", false},
	}
	for _, tc := range tests {
		d := wire.Id{Scheme: "digest", ID: digestOf(tc.auth)}
		want := []wire.Id{ip, d}
		if tc.digestFirst {
			want = []wire.Id{d, ip}
		}
		if got := javaSetOrder([]wire.Id{ip, d}); !slices.Equal(got, want) {
			t.Errorf("addauth digest %q: %v, want %v", tc.auth, got, want)
		}
	}
	if got := digestOf("blah"); got != "blah:W/H9kn37hnlJai5s8Ay+UMHIcUU=" {
		t.Errorf("digest of blah: %s", got)
	}
}

// TestAddAuthIDOnce: the same identity twice is held once.
func TestAddAuthIDOnce(t *testing.T) {
	c := &conn{}
	c.auth.IDs = []wire.Id{{Scheme: "ip", ID: "127.0.0.1"}}
	for range 2 {
		c.addAuthID(wire.Id{Scheme: "digest", ID: digestOf("u:p")})
	}
	if len(c.auth.IDs) != 2 {
		t.Fatalf("ids %v", c.auth.IDs)
	}
}
