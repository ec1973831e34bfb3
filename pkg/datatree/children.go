package datatree

// maxListChildren is how many child names a node keeps in a plain slice
// before it switches to a map. A slice costs 16 bytes a child (the names
// share their paths' storage) where a map costs about 48; removing a child
// scans the slice, which for 1,024 short names takes about a microsecond
// (BenchmarkChildSetRemove), far below the cost of a write. Past that size
// a map keeps removal O(1) however many children a node has.
const maxListChildren = 1024

// childSet holds a node's child names, in no particular order (ZooKeeper
// keeps them in a HashSet). Exactly one of list and set is in use.
type childSet struct {
	list []string
	set  map[string]struct{}
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

// add inserts name, which the caller knows is not there yet.
func (c *childSet) add(name string) {
	if c.set != nil {
		c.set[name] = struct{}{}
		return
	}
	if len(c.list) < maxListChildren {
		c.list = append(c.list, name)
		return
	}
	c.set = make(map[string]struct{}, 2*maxListChildren)
	for _, s := range c.list {
		c.set[s] = struct{}{}
	}
	c.set[name] = struct{}{}
	c.list = nil
}

func (c *childSet) remove(name string) {
	if c.set != nil {
		delete(c.set, name)
		if len(c.set) <= maxListChildren/4 {
			c.list = make([]string, 0, len(c.set))
			for s := range c.set {
				c.list = append(c.list, s)
			}
			c.set = nil
		}
		return
	}
	for i, s := range c.list {
		if s == name {
			last := len(c.list) - 1
			c.list[i] = c.list[last]
			c.list[last] = ""
			c.list = c.list[:last]
			if cap(c.list) > 16 && len(c.list) < cap(c.list)/4 {
				c.list = append([]string(nil), c.list...)
			}
			return
		}
	}
}

// each calls f with every name.
func (c *childSet) each(f func(name string) error) error {
	if c == nil {
		return nil
	}
	if c.set != nil {
		for s := range c.set {
			if err := f(s); err != nil {
				return err
			}
		}
		return nil
	}
	for _, s := range c.list {
		if err := f(s); err != nil {
			return err
		}
	}
	return nil
}

// names returns a new slice of every name.
func (c *childSet) names() []string {
	out := make([]string, 0, c.len())
	_ = c.each(func(s string) error { out = append(out, s); return nil })
	return out
}
