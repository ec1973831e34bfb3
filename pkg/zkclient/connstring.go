package zkclient

import (
	"fmt"
	"net"
	"strings"
)

// DefaultPort is used for hosts given without a port.
const DefaultPort = "2181"

// ParseConnectString splits "h1:p1,h2:p2/chroot" like ZooKeeper's
// ConnectStringParser: everything from the first "/" is the chroot (a lone
// "/" means none), the port defaults to 2181, and "[v6]:port" is accepted.
func ParseConnectString(s string) (hosts []string, chroot string, err error) {
	hostPart := s
	if i := strings.IndexByte(s, '/'); i >= 0 {
		hostPart, chroot = s[:i], s[i:]
		if chroot == "/" {
			chroot = ""
		} else if err := validatePath(chroot); err != nil {
			return nil, "", fmt.Errorf("zkclient: invalid chroot %q: %w", chroot, err)
		}
	}
	for _, h := range strings.Split(hostPart, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		host, port := h, DefaultPort
		if strings.HasPrefix(h, "[") {
			end := strings.IndexByte(h, ']')
			if end < 0 {
				return nil, "", fmt.Errorf("zkclient: unterminated IPv6 address in %q", h)
			}
			host = h[1:end]
			if rest := h[end+1:]; strings.HasPrefix(rest, ":") {
				port = rest[1:]
			} else if rest != "" {
				return nil, "", fmt.Errorf("zkclient: bad host %q", h)
			}
		} else if i := strings.LastIndexByte(h, ':'); i >= 0 {
			host, port = h[:i], h[i+1:]
		}
		if host == "" || port == "" {
			return nil, "", fmt.Errorf("zkclient: bad host %q", h)
		}
		hosts = append(hosts, net.JoinHostPort(host, port))
	}
	if len(hosts) == 0 {
		return nil, "", fmt.Errorf("zkclient: no hosts in %q", s)
	}
	return hosts, chroot, nil
}

// validatePath is ZooKeeper's PathUtils.validatePath, for chroots and paths.
func validatePath(p string) error {
	if p == "" {
		return fmt.Errorf("path must not be empty")
	}
	if p[0] != '/' {
		return fmt.Errorf("path must start with /")
	}
	if len(p) == 1 {
		return nil
	}
	if p[len(p)-1] == '/' {
		return fmt.Errorf("path must not end with /")
	}
	for _, c := range strings.Split(p[1:], "/") {
		switch c {
		case "":
			return fmt.Errorf("empty node name")
		case ".", "..":
			return fmt.Errorf("relative paths are not allowed")
		}
	}
	if strings.IndexByte(p, 0) >= 0 {
		return fmt.Errorf("null character not allowed")
	}
	return nil
}
