package serverspec

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"unicode"
)

// Spec is one server line.
type Spec struct {
	ID           uint64
	Host         string
	QuorumPort   int
	ElectionPort int
	Observer     bool
	// ClientHost and ClientPort are the line's client address; ClientPort 0
	// means the line has none. A line that gives only a port has ClientHost
	// "0.0.0.0", as ZooKeeper reads it.
	ClientHost string
	ClientPort int
}

// ErrSyntax is wrapped by every error about a malformed line.
var ErrSyntax = errors.New("not a server line")

const form = "want server.N=host:quorumPort:electionPort[:participant|observer][;[clientHost:]clientPort]"

// ParseLine reads "server.N=value" (or "N=value", as reconfig also takes).
func ParseLine(line string) (Spec, error) {
	key, value, ok := strings.Cut(strings.TrimSpace(line), "=")
	if !ok {
		return Spec{}, fmt.Errorf("%w: %q has no '=' (%s)", ErrSyntax, line, form)
	}
	id, err := ParseID(strings.TrimPrefix(strings.TrimSpace(key), "server."))
	if err != nil {
		return Spec{}, fmt.Errorf("%w: %q: %w", ErrSyntax, line, err)
	}
	return Parse(id, value)
}

// ParseID reads a server id, 1..255 (the top byte of the member's session ids).
func ParseID(s string) (uint64, error) {
	id, err := strconv.ParseUint(strings.TrimSpace(s), 10, 8)
	if err != nil || id == 0 {
		return 0, fmt.Errorf("%w: server id %q is not 1..255", ErrSyntax, s)
	}
	return id, nil
}

// Parse reads the value of server.id.
func Parse(id uint64, value string) (Spec, error) {
	value = strings.TrimSpace(value)
	fail := func(why string) (Spec, error) {
		return Spec{}, fmt.Errorf("%w: server.%d=%q: %s (%s)", ErrSyntax, id, value, why, form)
	}
	server, client, hasClient := strings.Cut(value, ";")
	if strings.Contains(client, ";") {
		return fail("more than one ';'")
	}
	if strings.Contains(server, "|") {
		return fail("several addresses for one server are not supported")
	}
	parts, err := hostAndPorts(server)
	if err != nil || len(parts) < 3 || len(parts) > 4 {
		return fail("the server part is not host:quorumPort:electionPort[:role]")
	}
	s := Spec{ID: id, Host: parts[0]}
	if s.QuorumPort, err = port(parts[1]); err != nil {
		return fail("quorum port: " + err.Error())
	}
	if s.ElectionPort, err = port(parts[2]); err != nil {
		return fail("election port: " + err.Error())
	}
	if len(parts) == 4 {
		switch strings.ToLower(parts[3]) {
		case "participant":
		case "observer":
			s.Observer = true
		default:
			return fail(fmt.Sprintf("unrecognised peer type %q", parts[3]))
		}
	}
	if err := checkHost(s.Host); err != nil {
		return fail(err.Error())
	}
	if hasClient {
		cp, err := hostAndPorts(strings.TrimSpace(client))
		if err != nil || len(cp) > 2 {
			return fail("the client part is not [clientHost:]clientPort")
		}
		s.ClientHost = "0.0.0.0"
		if len(cp) == 2 {
			s.ClientHost = cp[0]
		}
		if s.ClientPort, err = port(cp[len(cp)-1]); err != nil || checkHost(s.ClientHost) != nil {
			return fail("client address")
		}
	}
	return s, nil
}

// hostAndPorts splits "host:a:b" or "[v6]:a:b" (ZooKeeper's ConfigUtils.getHostAndPort).
func hostAndPorts(s string) ([]string, error) {
	if !strings.HasPrefix(s, "[") {
		return strings.Split(s, ":"), nil
	}
	end := strings.IndexByte(s, ']')
	if end < 0 {
		return nil, errors.New("unterminated IPv6 address")
	}
	host, rest := s[1:end], s[end+1:]
	if rest == "" {
		return []string{host}, nil
	}
	if rest[0] != ':' {
		return nil, errors.New("expected ':' after the IPv6 address")
	}
	return append([]string{host}, strings.Split(rest[1:], ":")...), nil
}

// checkHost refuses a host that could not be written back as it was read:
// empty, or holding spaces or the line's own separators.
func checkHost(h string) error {
	if h == "" {
		return errors.New("no host")
	}
	if i := strings.IndexFunc(h, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune("[]=;|,", r)
	}); i >= 0 {
		return fmt.Errorf("host %q holds %q", h, h[i:i+1])
	}
	return nil
}

func port(s string) (int, error) {
	p, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || p <= 0 || p > 65535 {
		return 0, fmt.Errorf("%q is not a port", s)
	}
	return p, nil
}

// Role is "participant" or "observer".
func (s Spec) Role() string {
	if s.Observer {
		return "observer"
	}
	return "participant"
}

// QuorumAddr is host:quorumPort.
func (s Spec) QuorumAddr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.QuorumPort)) }

// ClientAddr is clientHost:clientPort, or "" when the line has no client part.
func (s Spec) ClientAddr() string {
	if s.ClientPort == 0 {
		return ""
	}
	return net.JoinHostPort(s.ClientHost, strconv.Itoa(s.ClientPort))
}

// String is the value as ZooKeeper writes it in /zookeeper/config.
func (s Spec) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d:%d:%s", bracket(s.Host), s.QuorumPort, s.ElectionPort, s.Role())
	if s.ClientPort != 0 {
		fmt.Fprintf(&b, ";%s:%d", bracket(s.ClientHost), s.ClientPort)
	}
	return b.String()
}

// Line is "server.N=" and the value.
func (s Spec) Line() string { return fmt.Sprintf("server.%d=%s", s.ID, s.String()) }

func bracket(host string) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]"
	}
	return host
}

// SplitAddr splits host:port as the member tables keep addresses.
func SplitAddr(addr string) (host string, port int, err error) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, fmt.Errorf("%q: port %q", addr, p)
	}
	return h, n, nil
}
