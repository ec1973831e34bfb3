package zkimporttest

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/go-zookeeper/zk"
)

// Znode is what a client sees of a znode.
type Znode struct {
	Data     []byte
	ACL      []zk.ACL
	Stat     zk.Stat
	Children []string
}

// ReadAll walks the tree from / through a client: data, ACL, stat and
// children of every znode.
func ReadAll(t testing.TB, c *zk.Conn) map[string]Znode {
	t.Helper()
	out := map[string]Znode{}
	queue := []string{"/"}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		children, _, err := c.Children(p)
		if err != nil {
			t.Fatalf("children %s: %v", p, err)
		}
		sort.Strings(children)
		data, st, err := c.Get(p)
		if err != nil {
			t.Fatalf("get %s: %v", p, err)
		}
		acl, _, err := c.GetACL(p)
		if err != nil {
			t.Fatalf("getACL %s: %v", p, err)
		}
		out[p] = Znode{Data: data, ACL: acl, Stat: *st, Children: children}
		for _, ch := range children {
			queue = append(queue, strings.TrimSuffix(p, "/")+"/"+ch)
		}
	}
	return out
}

// DocumentedDifference reports paths whose view may differ after an import
// (docs/operations.md, "Migrating from Apache ZooKeeper"): /zookeeper and
// /zookeeper/config belong to the new server.
func DocumentedDifference(p string) bool {
	return p == "/zookeeper" || p == "/zookeeper/config"
}

// Diff lists every difference between ZooKeeper's view and ours. Where
// expired(p) holds (a parent of ephemerals the import removed), pzxid may
// differ: ZooKeeper removes them when it expires their session, at a zxid of
// its own, the import at one past the last transaction.
func Diff(want, got map[string]Znode, expired func(string) bool) []string {
	var diffs []string
	for p, w := range want {
		if DocumentedDifference(p) {
			continue
		}
		g, ok := got[p]
		switch {
		case !ok:
			diffs = append(diffs, "missing "+p)
			continue
		case !bytes.Equal(w.Data, g.Data):
			diffs = append(diffs, fmt.Sprintf("%s: data %d bytes, want %d", p, len(g.Data), len(w.Data)))
		}
		if !slices.Equal(w.ACL, g.ACL) {
			diffs = append(diffs, fmt.Sprintf("%s: acl %v, want %v", p, g.ACL, w.ACL))
		}
		ws := w.Stat
		if expired(p) {
			ws.Pzxid = g.Stat.Pzxid
		}
		if ws != g.Stat {
			diffs = append(diffs, fmt.Sprintf("%s: stat %+v, want %+v", p, g.Stat, w.Stat))
		}
		if !slices.Equal(w.Children, g.Children) {
			diffs = append(diffs, fmt.Sprintf("%s: children %v, want %v", p, g.Children, w.Children))
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok && !DocumentedDifference(p) {
			diffs = append(diffs, "extra "+p)
		}
	}
	sort.Strings(diffs)
	return diffs
}
