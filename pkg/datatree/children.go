package datatree

import (
	"slices"
	"strings"
)

// maxListChildren is how many children a node keeps in a sorted slice
// before it switches to a map. A slice costs 24 bytes a child where a map
// costs about 50; finding a child is a binary search (about ten string
// comparisons at this size), and adding or removing one moves at most 24 KiB
// (BenchmarkChildSetRemove: about a microsecond), far below the cost of a
// write. Past that size a map keeps both O(1) however many children a node
// has.
const maxListChildren = 1024

// childSet holds a node's children by name. Exactly one of list (sorted by
// name) and set is in use. Names are their own small strings, not slices of
// the paths that created them, so no request's path stays alive.
type childSet struct {
	list []child
	set  map[string]*node
}

type child struct {
	name string
	n    *node
}

func cmpChild(c child, name string) int { return strings.Compare(c.name, name) }

func (c *childSet) len() int {
	switch {
	case c == nil:
		return 0
	case c.set != nil:
		return len(c.set)
	}
	return len(c.list)
}

func (c *childSet) get(name string) *node {
	switch {
	case c == nil:
		return nil
	case c.set != nil:
		return c.set[name]
	}
	if i, ok := slices.BinarySearchFunc(c.list, name, cmpChild); ok {
		return c.list[i].n
	}
	return nil
}

// add inserts n as name, which the caller knows is not there yet.
func (c *childSet) add(name string, n *node) {
	if c.set != nil {
		c.set[name] = n
		return
	}
	if len(c.list) < maxListChildren {
		i, _ := slices.BinarySearchFunc(c.list, name, cmpChild)
		c.list = slices.Insert(c.list, i, child{name, n})
		return
	}
	c.set = make(map[string]*node, 2*maxListChildren)
	for _, ch := range c.list {
		c.set[ch.name] = ch.n
	}
	c.set[name] = n
	c.list = nil
}

func (c *childSet) remove(name string) {
	if c.set != nil {
		delete(c.set, name)
		if len(c.set) <= maxListChildren/4 {
			c.list = make([]child, 0, len(c.set))
			for s, n := range c.set {
				c.list = append(c.list, child{s, n})
			}
			slices.SortFunc(c.list, func(a, b child) int { return strings.Compare(a.name, b.name) })
			c.set = nil
		}
		return
	}
	i, ok := slices.BinarySearchFunc(c.list, name, cmpChild)
	if !ok {
		return
	}
	c.list = slices.Delete(c.list, i, i+1)
	if cap(c.list) > 16 && len(c.list) < cap(c.list)/4 {
		c.list = slices.Clip(append([]child(nil), c.list...))
	}
}

// each calls f with every child, in name order while they fit the slice.
func (c *childSet) each(f func(name string, n *node) error) error {
	if c == nil {
		return nil
	}
	if c.set != nil {
		for s, n := range c.set {
			if err := f(s, n); err != nil {
				return err
			}
		}
		return nil
	}
	for _, ch := range c.list {
		if err := f(ch.name, ch.n); err != nil {
			return err
		}
	}
	return nil
}

// names returns a new slice of every child's name.
func (c *childSet) names() []string {
	out := make([]string, 0, c.len())
	_ = c.each(func(s string, _ *node) error { out = append(out, s); return nil })
	return out
}
