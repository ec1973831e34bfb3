package zkimport

import (
	"fmt"
	"strings"

	"github.com/zkensemble/zkensemble/pkg/datatree"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// Quota node names (Quotas).
const (
	quotaRoot  = "/zookeeper/quota"
	limitsNode = "zookeeper_limits"
	statsNode  = "zookeeper_stats"
)

// finish removes ephemerals as expired, recomputes quota stats as ZooKeeper
// does when it loads, and builds the tree.
func finish(m *model, res *Result) error {
	if err := dropEphemerals(m, res); err != nil {
		return err
	}
	recomputeQuotas(m)
	t, n, err := build(m)
	if err != nil {
		return err
	}
	res.Tree, res.Znodes = t, n
	return nil
}

// dropEphemerals deletes every session's ephemerals at one zxid after the
// last, as if the sessions expired there (closeSession).
func dropEphemerals(m *model, res *Result) error {
	var paths []string
	for _, s := range m.ephemerals {
		for p := range s {
			paths = append(paths, p)
		}
	}
	if len(paths) == 0 {
		return nil
	}
	res.Zxid++
	sorted := map[string]struct{}{}
	for _, p := range paths {
		sorted[p] = struct{}{}
	}
	for _, p := range sortedKeys(sorted) {
		if n := m.nodes[p]; n != nil && len(n.children) > 0 {
			return fmt.Errorf("ephemeral znode %s has children", p)
		}
		_ = m.deleteNode(p, res.Zxid) // it exists: p is indexed
		res.Ephemerals++
	}
	m.ephemerals = map[int64]map[string]struct{}{}
	return nil
}

// recomputeQuotas is DataTree.setupQuota: each quota's zookeeper_stats gets
// the count and bytes of its subtree.
func recomputeQuotas(m *model) {
	for p := range m.nodes {
		if !strings.HasPrefix(p, quotaRoot+"/") || !strings.HasSuffix(p, "/"+limitsNode) {
			continue
		}
		dir := strings.TrimSuffix(p, "/"+limitsNode)
		stat := m.nodes[dir+"/"+statsNode]
		if stat == nil {
			continue
		}
		count, bytes := m.counts(strings.TrimPrefix(dir, quotaRoot))
		m.change(dir+"/"+statsNode, stat, func() {
			stat.data = fmt.Appendf(nil, "count=%d,bytes=%d", count, bytes)
		})
	}
}

// counts is DataTree.getCounts: znodes and data bytes of a subtree.
func (m *model) counts(path string) (count, bytes int64) {
	n := m.nodes[path]
	if n == nil {
		return 0, 0
	}
	count, bytes = 1, int64(len(n.data))
	for c := range n.children {
		cc, cb := m.counts(join(path, c))
		count, bytes = count+cc, bytes+cb
	}
	return count, bytes
}

func join(parent, child string) string {
	if parent == "/" {
		return "/" + child
	}
	return parent + "/" + child
}

// build inserts every znode reachable from the root, parents first, into a
// new tree and counts them; /zookeeper and /zookeeper/config are the tree's
// own.
func build(m *model) (*datatree.Tree, int, error) {
	t := datatree.New()
	t.Lock()
	defer t.Unlock()
	stack := []string{"/"}
	count := 0
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n := m.nodes[p]
		count++
		if p != datatree.ProcPath && p != datatree.ConfigPath {
			if err := t.Insert(p, n.data, aclOrEmpty(n.acl), n.stat); err != nil {
				return nil, 0, err
			}
		}
		for c := range n.children {
			cp := join(p, c)
			if m.nodes[cp] == nil {
				return nil, 0, fmt.Errorf("znode %s is listed as a child but missing", cp)
			}
			stack = append(stack, cp)
		}
	}
	return t, count, nil
}

func aclOrEmpty(a []wire.ACL) []wire.ACL {
	if a == nil {
		return []wire.ACL{}
	}
	return a
}
