package datatree

import (
	"slices"
	"strings"
)

// maxListChildren is how many children a node keeps in a sorted slice
// before it switches to a map. A slice costs 32 bytes a child where a map
// costs about 50; finding a child is a binary search (about ten integer
// comparisons at this size), and adding or removing one moves at most 32 KiB
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

// child is one entry of the sorted slice. pre holds the name's first eight
// bytes (big-endian, zero-padded), so the binary search compares integers in
// the slice itself and reads a name's bytes only when the prefixes are equal:
// without it, every step was a cache miss on a string stored elsewhere.
type child struct {
	pre  uint64
	name string
	n    *node
}

func prefixOf(name string) uint64 {
	var p uint64
	for i := 0; i < 8; i++ {
		p <<= 8
		if i < len(name) {
			p |= uint64(name[i])
		}
	}
	return p
}

// search returns where name is or would be in c.list, and whether it is
// there. Paths hold no NUL bytes, so ordering by (pre, name) is ordering by
// name.
func (c *childSet) search(name string) (int, bool) {
	pre := prefixOf(name)
	lo, hi := 0, len(c.list)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if e := &c.list[m]; e.pre < pre || (e.pre == pre && (len(name) > 8 || len(e.name) > 8) && e.name < name) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == len(c.list) {
		return lo, false
	}
	// Names of up to eight bytes are their prefix and length.
	e := &c.list[lo]
	return lo, e.pre == pre && len(e.name) == len(name) && (len(name) <= 8 || e.name == name)
}

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
	if i, ok := c.search(name); ok {
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
		i, _ := c.search(name)
		c.list = slices.Insert(c.list, i, child{prefixOf(name), name, n})
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
				c.list = append(c.list, child{prefixOf(s), s, n})
			}
			slices.SortFunc(c.list, func(a, b child) int { return strings.Compare(a.name, b.name) })
			c.set = nil
		}
		return
	}
	i, ok := c.search(name)
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
