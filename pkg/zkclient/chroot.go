package zkclient

import "strings"

// serverPath prepends the chroot (ZooKeeper.prependChroot).
func (c *Conn) serverPath(p string) string {
	if c.chroot == "" {
		return p
	}
	if p == "/" {
		return c.chroot
	}
	return c.chroot + p
}

// stripChroot removes the chroot from a server path.
func (c *Conn) stripChroot(p string) string {
	if c.chroot == "" || !strings.HasPrefix(p, c.chroot) {
		return p
	}
	rest := p[len(c.chroot):]
	if rest == "" {
		return "/"
	}
	return rest
}
