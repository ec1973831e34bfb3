package datatree

import "strings"

// ValidPath implements ZooKeeper's PathUtils.validatePath.
func ValidPath(p string) bool {
	if len(p) == 0 || p[0] != '/' {
		return false
	}
	if len(p) == 1 {
		return true
	}
	if p[len(p)-1] == '/' {
		return false
	}
	for _, comp := range strings.Split(p[1:], "/") {
		if comp == "" || comp == "." || comp == ".." {
			return false
		}
	}
	for _, c := range p {
		if c == 0 || (c > 0 && c <= 0x1f) || (c >= 0x7f && c <= 0x9f) ||
			(c >= 0xd800 && c <= 0xf8ff) || (c >= 0xfff0 && c <= 0xffff) {
			return false
		}
	}
	return true
}
