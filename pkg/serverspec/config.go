package serverspec

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Config is a dynamic configuration: /zookeeper/config's server lines and
// its version (the zxid of the change that wrote it).
type Config struct {
	Servers []Spec
	Version int64
}

// ParseConfig reads /zookeeper/config ("server.N=..." lines, "version=<hex>").
func ParseConfig(data []byte) (Config, error) {
	var cfg Config
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return cfg, fmt.Errorf("%w: config line %q is not key=value", ErrSyntax, line)
		}
		switch {
		case key == "version":
			v, err := strconv.ParseInt(value, 16, 64)
			if err != nil {
				return cfg, fmt.Errorf("%w: config version %q", ErrSyntax, value)
			}
			cfg.Version = v
		case strings.HasPrefix(key, "server."):
			s, err := ParseLine(line)
			if err != nil {
				return cfg, err
			}
			cfg.Servers = append(cfg.Servers, s)
		}
	}
	return cfg, sc.Err()
}

// Lines writes server lines as ZooKeeper does in /zookeeper/config, one per
// server, each ending in a newline (the "version=" line follows them).
func Lines(servers []Spec) []byte {
	var b strings.Builder
	for _, s := range servers {
		b.WriteString(s.Line())
		b.WriteByte('\n')
	}
	return []byte(b.String())
}
