package datatree

// ExpiredContainersAndTTLs lists the nodes ZooKeeper's ContainerManager would
// delete: empty containers that once had children, and childless TTL nodes
// not modified for longer than their TTL. Call it read-locked; the server
// proposes a delete for each, re-checked at apply by DeleteIfExpired.
func (t *Tree) ExpiredContainersAndTTLs(now int64) []string {
	var out []string
	for p := range t.containers {
		if t.expired(p, now) {
			out = append(out, p)
		}
	}
	for p := range t.ttls {
		if t.expired(p, now) {
			out = append(out, p)
		}
	}
	sortStrings(out)
	return out
}

func (t *Tree) expired(p string, now int64) bool {
	n := t.lookup(p)
	if n == nil || n.numChildren() > 0 {
		return false
	}
	if n.stat.EphemeralOwner == ContainerOwner {
		return n.stat.Cversion > 0
	}
	ttl, ok := ttlOf(n.stat.EphemeralOwner)
	return ok && ttl != 0 && now-n.stat.Mtime > ttl
}

// DeleteIfExpired deletes a container or TTL node at zxid if it still
// qualifies at apply time (deleteContainer). It reports whether it did.
func (t *Tree) DeleteIfExpired(zxid, now int64, path string) bool {
	if !t.expired(path, now) {
		return false
	}
	parentPath, _ := parentAndName(path)
	parent := t.lookup(parentPath)
	if parent == nil {
		return false
	}
	t.remove(path, parentPath, parent, t.lookup(path), zxid)
	return true
}
