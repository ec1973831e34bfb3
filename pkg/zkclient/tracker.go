package zkclient

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/zkensemble/zkensemble/pkg/serverspec"
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

// ParseEnsembleConfig reads ZooKeeper's dynamic configuration format
// (pkg/serverspec): "server.N=host:quorumPort:electionPort[:role][;[clientHost:]clientPort]"
// lines and "version=<hex>".
func ParseEnsembleConfig(data []byte) (EnsembleConfig, error) {
	parsed, err := serverspec.ParseConfig(data)
	if err != nil {
		return EnsembleConfig{}, fmt.Errorf("zkclient: %w", err)
	}
	cfg := EnsembleConfig{Version: parsed.Version}
	for _, s := range parsed.Servers {
		m := Member{ID: s.ID, QuorumHost: s.Host, Role: s.Role()}
		if s.ClientPort != 0 {
			host := s.ClientHost
			if host == "0.0.0.0" || host == "::" {
				// A wildcard client address: use the quorum host, as Curator does.
				host = s.Host
			}
			m.ClientAddr = net.JoinHostPort(host, strconv.Itoa(s.ClientPort))
		}
		cfg.Members = append(cfg.Members, m)
	}
	return cfg, nil
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
