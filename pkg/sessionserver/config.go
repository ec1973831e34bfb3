package sessionserver

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/zkensemble/zkensemble/pkg/serverspec"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// Config is the server's configuration, with zoo.cfg's key names.
type Config struct {
	TickTime          int32 // ms
	MinSessionTimeout int32 // ms; 0 → 2*TickTime
	MaxSessionTimeout int32 // ms; 0 → 20*TickTime
	ClientPort        int
	ClientPortAddress string
	DataDir           string
	DataLogDir        string
	MaxClientCnxns    int // per client IP; 0 = unlimited
	FourLetterWords   map[string]bool
	FourLetterAll     bool
	MaxBuffer         int // jute.maxbuffer
	InitLimit         int
	SyncLimit         int
	SnapRetainCount   int
	SnapCount         int // snapCount: applied transactions between snapshots; 0 → 100000
	PurgeInterval     int // hours
	ReconfigEnabled   bool
	StandaloneEnabled bool
	// ReadOnlyMode lets a member without a quorum serve read-only clients
	// (ZooKeeper's readonlymode.enabled, readonly.go).
	ReadOnlyMode      bool
	AdminAddress      string
	AdminPort         int // -1 disables the admin listener
	SuperDigest       string
	ExtendedTypes     bool
	ContainerInterval time.Duration
	// Per-client bounds (see limits.go): the bytes of replies and
	// notifications queued for one connection before the server stops reading
	// its requests, how long a write to a client may block before the
	// connection is closed, and the watches one connection may hold.
	MaxClientOutput    int           // maxClientOutputBytes
	ClientWriteTimeout time.Duration // clientWriteTimeoutMs
	MaxWatches         int           // maxWatchesPerSession
	MaxWatchPathLength int           // maxWatchPathLength (bytes)
	// QuorumTLS is member-to-member TLS (ZooKeeper's sslQuorum keys).
	QuorumTLS QuorumTLS
	// Client is TLS and authentication on the client port
	// (config_clientsec.go). ClientPort -1 serves no plain port.
	Client ClientSecurity
	// clientPortSet: clientPort was given (unset, the plain port is off when
	// secureClientPort is on, as in ZooKeeper).
	clientPortSet bool
	// QuorumSecretFile holds a secret the members share and prove to each
	// other on every stream when TLS is off (quorum.auth.secretFile; development).
	QuorumSecretFile string
	// AdminTokenFile holds the bearer token of the admin API (admin.tokenFile).
	AdminTokenFile string
	// ProbeAddress and ProbePort serve /healthz, /readyz and /metrics in plain
	// HTTP without credentials (metricsProvider.httpHost/httpPort); -1: off.
	ProbeAddress string
	ProbePort    int
	// Servers are the server.N lines, for the ensemble.
	Servers map[uint64]string
	// Extra holds keys this server does not interpret, as ZooKeeper keeps them.
	Extra map[string]string
}

// DefaultConfig returns ZooKeeper's defaults.
func DefaultConfig() Config {
	return Config{
		TickTime:           2000,
		ClientPort:         2181,
		MaxClientCnxns:     60,
		FourLetterWords:    map[string]bool{"srvr": true},
		MaxBuffer:          wire.DefaultMaxBuffer,
		InitLimit:          10,
		SyncLimit:          5,
		SnapRetainCount:    3,
		StandaloneEnabled:  true,
		AdminAddress:       "0.0.0.0",
		AdminPort:          8080,
		ContainerInterval:  time.Minute,
		MaxClientOutput:    DefaultMaxClientOutput,
		ClientWriteTimeout: DefaultClientWriteTimeout,
		MaxWatches:         DefaultMaxWatches,
		MaxWatchPathLength: DefaultMaxWatchPathLength,
		QuorumTLS:          QuorumTLS{HostnameVerification: true},
		Client:             defaultClientSecurity(),
		ProbeAddress:       "0.0.0.0",
		ProbePort:          -1,
		Servers:            map[uint64]string{},
		Extra:              map[string]string{},
	}
}

// MinTimeout and MaxTimeout apply ZooKeeper's tick-derived defaults.
func (c *Config) MinTimeout() int32 {
	if c.MinSessionTimeout > 0 {
		return c.MinSessionTimeout
	}
	return 2 * c.TickTime
}

func (c *Config) MaxTimeout() int32 {
	if c.MaxSessionTimeout > 0 {
		return c.MaxSessionTimeout
	}
	return 20 * c.TickTime
}

// FourLetterAllowed reports whether cmd is whitelisted.
func (c *Config) FourLetterAllowed(cmd string) bool { return c.FourLetterAll || c.FourLetterWords[cmd] }

// ParseConfigFile reads a zoo.cfg file.
func ParseConfigFile(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, err
	}
	defer f.Close()
	cfg := DefaultConfig()
	if err := cfg.Parse(f, path); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// Parse applies zoo.cfg lines (java.util.Properties syntax: key=value, # comments).
func (c *Config) Parse(r io.Reader, name string) error {
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || s[0] == '#' || s[0] == '!' {
			continue
		}
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			k, v, ok = strings.Cut(s, ":")
		}
		if !ok {
			return fmt.Errorf("%s:%d: %q is not key=value", name, line, s)
		}
		if err := c.Set(strings.TrimSpace(k), strings.TrimSpace(v)); err != nil {
			return fmt.Errorf("%s:%d: %w", name, line, err)
		}
	}
	return sc.Err()
}

// Set applies one key, as in zoo.cfg.
func (c *Config) Set(key, value string) error {
	num := func(dst *int32) error {
		n, err := strconv.ParseInt(value, 10, 32)
		if err != nil {
			return fmt.Errorf("%s: %q is not a number", key, value)
		}
		*dst = int32(n)
		return nil
	}
	integer := func(dst *int) error {
		n, err := strconv.Atoi(value)
		if err != nil {
			return fmt.Errorf("%s: %q is not a number", key, value)
		}
		*dst = n
		return nil
	}
	boolean := func(dst *bool) error {
		switch strings.ToLower(value) {
		case "true", "yes":
			*dst = true
		case "false", "no":
			*dst = false
		default:
			return fmt.Errorf("%s: %q is not true or false", key, value)
		}
		return nil
	}
	switch {
	case key == "tickTime":
		if err := num(&c.TickTime); err != nil {
			return err
		}
		if c.TickTime <= 0 {
			return fmt.Errorf("tickTime must be positive, got %d", c.TickTime)
		}
	case key == "minSessionTimeout":
		return num(&c.MinSessionTimeout)
	case key == "maxSessionTimeout":
		return num(&c.MaxSessionTimeout)
	case key == "clientPort":
		c.clientPortSet = true
		if err := integer(&c.ClientPort); err != nil {
			return err
		}
		if c.ClientPort == 0 { // ZooKeeper: 0 is unset
			c.ClientPort = -1
		}
	case key == "clientPortAddress":
		c.ClientPortAddress = value
	case key == "dataDir":
		c.DataDir = value
	case key == "dataLogDir":
		c.DataLogDir = value
	case key == "maxClientCnxns":
		return integer(&c.MaxClientCnxns)
	case key == "4lw.commands.whitelist":
		c.FourLetterWords, c.FourLetterAll = map[string]bool{}, false
		for _, w := range strings.Split(value, ",") {
			w = strings.TrimSpace(w)
			if w == "*" {
				c.FourLetterAll = true
			} else if w != "" {
				c.FourLetterWords[w] = true
			}
		}
	case key == "jute.maxbuffer":
		return integer(&c.MaxBuffer)
	case key == "initLimit":
		return integer(&c.InitLimit)
	case key == "syncLimit":
		return integer(&c.SyncLimit)
	case key == "maxClientOutputBytes":
		return integer(&c.MaxClientOutput)
	case key == "clientWriteTimeoutMs":
		var ms int
		if err := integer(&ms); err != nil {
			return err
		}
		c.ClientWriteTimeout = time.Duration(ms) * time.Millisecond
	case key == "maxWatchesPerSession":
		return integer(&c.MaxWatches)
	case key == "maxWatchPathLength":
		return integer(&c.MaxWatchPathLength)
	case key == "snapCount" || key == "zookeeper.snapCount":
		return integer(&c.SnapCount)
	case key == "autopurge.snapRetainCount":
		return integer(&c.SnapRetainCount)
	case key == "autopurge.purgeInterval":
		return integer(&c.PurgeInterval)
	case key == "reconfigEnabled":
		return boolean(&c.ReconfigEnabled)
	case key == "readonlymode.enabled":
		return boolean(&c.ReadOnlyMode)
	case key == "standaloneEnabled":
		return boolean(&c.StandaloneEnabled)
	case key == "admin.serverAddress":
		c.AdminAddress = value
	case key == "admin.serverPort":
		return integer(&c.AdminPort)
	case key == "admin.enableServer":
		var on bool
		if err := boolean(&on); err != nil {
			return err
		}
		if !on {
			c.AdminPort = -1
		}
	case key == "superDigest" || key == "zookeeper.DigestAuthenticationProvider.superDigest":
		c.SuperDigest = value
	case key == "extendedTypesEnabled" || key == "zookeeper.extendedTypesEnabled":
		return boolean(&c.ExtendedTypes)
	case key == "znode.container.checkIntervalMs":
		var ms int
		if err := integer(&ms); err != nil {
			return err
		}
		c.ContainerInterval = time.Duration(ms) * time.Millisecond
	case strings.HasPrefix(key, "server."):
		id, err := serverspec.ParseID(strings.TrimPrefix(key, "server."))
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		if _, err := serverspec.Parse(id, value); err != nil {
			return err
		}
		c.Servers[id] = value
	default:
		if ok, err := c.setSecurity(key, value, boolean); ok {
			return err
		}
		if ok, err := c.setClientSecurity(key, value, boolean); ok {
			return err
		}
		c.Extra[key] = value
	}
	return nil
}

// Validate checks cross-key rules.
func (c *Config) Validate() error {
	if c.TickTime <= 0 {
		return fmt.Errorf("tickTime must be positive")
	}
	if c.MinTimeout() > c.MaxTimeout() {
		return fmt.Errorf("minSessionTimeout (%d) must not be larger than maxSessionTimeout (%d)", c.MinTimeout(), c.MaxTimeout())
	}
	if c.MaxBuffer <= 0 {
		return fmt.Errorf("jute.maxbuffer must be positive")
	}
	if err := c.validateLimits(); err != nil {
		return err
	}
	c.ClientPort = c.plainClientPort()
	if c.ClientPort < 0 && c.Client.SecureClientPort < 0 {
		return fmt.Errorf("no client port: set clientPort or secureClientPort")
	}
	if err := c.Client.validate(); err != nil {
		return err
	}
	return c.QuorumTLS.validate()
}

// plainClientPort is the plain port to serve, -1 for none: without
// clientPort in zoo.cfg, ZooKeeper serves only the secure port when there is one.
func (c *Config) plainClientPort() int {
	if c.Client.SecureClientPort >= 0 && !c.clientPortSet && c.ClientPort == DefaultConfig().ClientPort {
		return -1
	}
	return c.ClientPort
}

// PublishedClientPort is the client port a member's server line names: the
// plain port, or the secure one when it is the only one served.
func (c *Config) PublishedClientPort() int {
	if p := c.plainClientPort(); p >= 0 {
		return p
	}
	return c.Client.SecureClientPort
}

// ExtraKeys lists the uninterpreted keys, sorted (logged at start).
func (c *Config) ExtraKeys() []string {
	keys := make([]string, 0, len(c.Extra))
	for k := range c.Extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
