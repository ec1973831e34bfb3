package zkclient

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
)

// Member is one server line of /zookeeper/config.
type Member struct {
	ID         uint64
	QuorumHost string
	Role       string
	ClientAddr string // host:port, "" when the line has no client address
}

// EnsembleConfig is /zookeeper/config parsed.
type EnsembleConfig struct {
	Members []Member
	Version int64
}

// ParseEnsembleConfig reads ZooKeeper's dynamic configuration format:
// "server.N=host:quorumPort:electionPort[:role][;[clientHost:]clientPort]"
// lines and "version=<hex>".
func ParseEnsembleConfig(data []byte) (EnsembleConfig, error) {
	var cfg EnsembleConfig
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return cfg, fmt.Errorf("zkclient: config line %q is not key=value", line)
		}
		switch {
		case key == "version":
			v, err := strconv.ParseInt(value, 16, 64)
			if err != nil {
				return cfg, fmt.Errorf("zkclient: config version %q: %w", value, err)
			}
			cfg.Version = v
		case strings.HasPrefix(key, "server."):
			id, err := strconv.ParseUint(strings.TrimPrefix(key, "server."), 10, 64)
			if err != nil {
				return cfg, fmt.Errorf("zkclient: config line %q: %w", line, err)
			}
			m := Member{ID: id, Role: "participant"}
			quorum, client, hasClient := strings.Cut(value, ";")
			parts := splitHostPorts(quorum)
			if len(parts) < 3 {
				return cfg, fmt.Errorf("zkclient: config line %q: want host:quorumPort:electionPort", line)
			}
			m.QuorumHost = parts[0]
			if len(parts) > 3 {
				m.Role = parts[3]
			}
			if hasClient {
				host, port := "0.0.0.0", client
				if i := strings.LastIndexByte(client, ':'); i >= 0 {
					host, port = strings.Trim(client[:i], "[]"), client[i+1:]
				}
				if host == "0.0.0.0" || host == "::" {
					// A wildcard client address: use the quorum host, as Curator does.
					host = m.QuorumHost
				}
				m.ClientAddr = net.JoinHostPort(host, port)
			}
			cfg.Members = append(cfg.Members, m)
		}
	}
	return cfg, sc.Err()
}

// splitHostPorts splits "host:p1:p2:role", keeping a bracketed IPv6 host whole.
func splitHostPorts(s string) []string {
	if strings.HasPrefix(s, "[") {
		if end := strings.IndexByte(s, ']'); end > 0 {
			rest := strings.Split(strings.TrimPrefix(s[end+1:], ":"), ":")
			return append([]string{s[1:end]}, rest...)
		}
	}
	return strings.Split(s, ":")
}

// ConnectString is what Curator's ensemble tracker builds: every member with a
// client address, sorted, joined by commas ("" when there is none).
func (e EnsembleConfig) ConnectString() string {
	var hosts []string
	for _, m := range e.Members {
		if m.ClientAddr != "" {
			hosts = append(hosts, m.ClientAddr)
		}
	}
	sort.Strings(hosts)
	return strings.Join(hosts, ",")
}

// TrackEnsemble follows /zookeeper/config until ctx ends: on every change
// committed to it (and after every reconnect) it syncs, reads the
// configuration and calls UpdateServerList when the server list changed, as
// Curator's EnsembleTracker does. Empty configurations (standalone servers)
// leave the list alone. onChange, if given, is told of each new list.
func (c *Conn) TrackEnsemble(ctx context.Context, onChange func(EnsembleConfig)) error {
	last := ""
	for {
		if err := c.Sync(ctx, "/"); err != nil {
			return err
		}
		data, _, ch, err := c.GetConfig(ctx)
		if err != nil {
			return err
		}
		if len(bytes.TrimSpace(data)) > 0 {
			cfg, err := ParseEnsembleConfig(data)
			if err != nil {
				c.log.Warn("zkclient: ignoring unparsable /zookeeper/config", "err", err)
			} else if cs := cfg.ConnectString(); cs != "" && cs != last {
				last = cs
				if err := c.UpdateServerList(cs); err != nil {
					return err
				}
				if onChange != nil {
					onChange(cfg)
				}
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev := <-ch:
			if ev.Type == EventSession {
				// The watch ended with the session (expired or closed).
				return ev.Err
			}
		}
	}
}
