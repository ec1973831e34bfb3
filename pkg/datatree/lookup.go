package datatree

import "strings"

// lookup finds the node at path by walking from the root, one child set per
// component: the tree keeps no map from full paths to nodes (a million
// znodes would pay for a million path strings and map slots). Malformed
// paths are simply not found.
func (t *Tree) lookup(path string) *node {
	if path == RootPath {
		return t.root
	}
	if len(path) < 2 || path[0] != '/' {
		return nil
	}
	n := t.root
	rest := path[1:]
	for n != nil {
		name, more, found := strings.Cut(rest, "/")
		n = n.children.get(name)
		if !found {
			return n
		}
		rest = more
	}
	return nil
}

// attach adds n under parent as name (a copy of name is kept).
func (t *Tree) attach(parent *node, name string, n *node) {
	if parent.children == nil {
		parent.children = &childSet{}
	}
	parent.children.add(strings.Clone(name), n)
	t.count++
}

// detach removes the child name of parent.
func (t *Tree) detach(parent *node, name string) {
	if parent.children == nil {
		return
	}
	parent.children.remove(name)
	if parent.children.len() == 0 {
		parent.children = nil
	}
	t.count--
}
