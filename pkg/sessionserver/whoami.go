package sessionserver

import (
	"sort"
	"unicode/utf16"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

// javaSetOrder orders a connection's ids as ZooKeeper's whoAmI lists them:
// its ServerCnxn keeps them in a set backed by a ConcurrentHashMap, so they
// come in the order of the map's bins (the jute Id's hashCode, spread and
// masked by the table size, which starts at 16 and doubles at 3/4 full),
// and in insertion order within a bin.
func javaSetOrder(ids []wire.Id) []wire.Id {
	n := 16
	for len(ids) >= n-n/4 {
		n *= 2
	}
	type entry struct {
		id  wire.Id
		bin int
	}
	es := make([]entry, len(ids))
	for i, id := range ids {
		h := int32(17)
		h = 37*h + javaStringHash(id.Scheme)
		h = 37*h + javaStringHash(id.ID)
		u := uint32(h)
		spread := (u ^ (u >> 16)) & 0x7fffffff
		es[i] = entry{id, int(spread) & (n - 1)}
	}
	sort.SliceStable(es, func(a, b int) bool { return es[a].bin < es[b].bin })
	out := make([]wire.Id, len(ids))
	for i, e := range es {
		out[i] = e.id
	}
	return out
}

// javaStringHash is java.lang.String.hashCode over UTF-16 code units.
func javaStringHash(s string) int32 {
	var h int32
	for _, u := range utf16.Encode([]rune(s)) {
		h = 31*h + int32(u)
	}
	return h
}
