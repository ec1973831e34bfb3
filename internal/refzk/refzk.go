// Package refzk starts reference servers on loopback for tests and
// benchmarks: Apache ZooKeeper 3.8 from Debian's package (standalone or a
// quorum), and our own server binary, both from the same zoo.cfg options so a
// test can treat them alike.
package refzk

import (
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/zkensemble/zkensemble/pkg/adminapi"
)

// Paths of Debian's zookeeper package.
const (
	ZooKeeperJar = "/usr/share/java/zookeeper.jar"
	ConfDir      = "/etc/zookeeper/conf"
	ZkCli        = "/usr/share/zookeeper/bin/zkCli.sh"
	Java         = "/usr/bin/java"
)

// NettyJars are the Netty jars ZooKeeper's Netty server and client (its
// TLS) need that Debian's zookeeper.jar manifest leaves out.
const NettyJars = "/usr/share/java/netty-codec.jar:/usr/share/java/netty-resolver.jar"

// Classpath is ZooKeeper's class path: its configuration, the jar (whose
// manifest names the rest) and the missing Netty jars.
func Classpath() string { return ConfDir + ":" + ZooKeeperJar + ":" + NettyJars }

// T is what the launcher needs from a test; testing.TB satisfies it, and a
// benchmark program can supply its own.
type T interface {
	Helper()
	Cleanup(func())
	TempDir() string
	Logf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// Options are the zoo.cfg settings both kinds of server get.
type Options struct {
	TickTime          int // ms; default 2000
	MinSessionTimeout int
	MaxSessionTimeout int
	MaxClientCnxns    *int // nil: ZooKeeper's default (60)
	SuperDigest       string
	ExtendedTypes     bool
	FourLetterWords   string // default "*"
	ForceSync         *bool
	HeapMB            int // JVM heap (-Xms = -Xmx); default 256
	ReconfigEnabled   bool
	// ReadOnlyMode lets a member without a quorum serve read-only sessions
	// (ZooKeeper's readonlymode.enabled system property; our zoo.cfg key).
	ReadOnlyMode bool
	Extra        map[string]string
	// Args are extra command-line flags for our binary.
	Args []string
	// PKI, when set, gives each of our servers a member certificate of its
	// CA (mutual TLS between members, HTTPS on the admin port, the tests as
	// the operator); else our servers take AdminToken (a random one when
	// empty) as the admin API's bearer token. See Server.AdminClient.
	// StartOursEnsemble makes a PKI when it is nil, unless InsecureQuorum asks
	// for members that trust whoever reaches their quorum port.
	PKI            *PKI
	AdminToken     string
	InsecureQuorum bool
	// Client is TLS and authentication on the client port (clientsec.go).
	Client *ClientSecurity
	// DataDir, when set, is where our member id keeps its data (a test that
	// mounts a layer there, e.g. one that injects disk faults); else a
	// directory of t.TempDir().
	DataDir func(id int) string
	// Prefix is put before the server's command line, e.g. {"taskset", "-c",
	// "1"} to pin the process to a CPU (the wrapper must exec the server, so
	// Pid stays the server's).
	Prefix []string
}

// Available reports why ZooKeeper cannot be started here, or nil.
func Available() error {
	for _, p := range []string{ZooKeeperJar, Java} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("apache ZooKeeper is not installed (%s missing; run hack/install-deps.sh)", p)
		}
	}
	return nil
}

// Server is one running server process.
type Server struct {
	Addr       string
	ClientPort int
	DataDir    string
	Kind       string // "zookeeper" or "zkensemble"
	// SecureAddr is the secure client port's address ("" when off).
	SecureAddr string
	SecurePort int
	// AdminAddr is our binary's admin HTTP address ("" for ZooKeeper).
	AdminAddr string
	// Admin are the credentials of its protected endpoints (AdminClient).
	Admin       adminapi.Credentials
	adminScheme string

	t       T
	argv    []string
	env     []string
	logPath string
	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
}

// FreePort returns a loopback TCP port that was free a moment ago. It picks
// below the kernel's ephemeral range (32768+ here), so outgoing connections
// of the tests cannot take it between this check and the server's bind, and
// from a random start per process, so test processes running side by side
// rarely pick the same one; within a process it never hands a port out twice.
func FreePort(t T) int {
	t.Helper()
	portsMu.Lock()
	defer portsMu.Unlock()
	if nextPort == 0 {
		nextPort = portLow + mrand.IntN(portHigh-portLow)
	}
	for range portHigh - portLow {
		port := nextPort
		if nextPort++; nextPort >= portHigh {
			nextPort = portLow
		}
		// Never the same port twice in a process: a server given a port may
		// not have bound it yet when the next one is asked for.
		if portsGiven[port] {
			continue
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		l.Close()
		portsGiven[port] = true
		return port
	}
	t.Fatalf("no free port found in %d-%d", portLow, portHigh)
	return 0
}

// FreePort's range.
const portLow, portHigh = 20000, 32000

var (
	portsMu    sync.Mutex
	nextPort   int
	portsGiven = map[int]bool{}
)

func (o Options) zooCfg(dataDir string, clientPort int) map[string]string {
	cfg := map[string]string{
		"tickTime":               "2000",
		"dataDir":                dataDir,
		"clientPort":             strconv.Itoa(clientPort),
		"clientPortAddress":      "127.0.0.1",
		"admin.enableServer":     "false",
		"4lw.commands.whitelist": "*",
	}
	if o.TickTime > 0 {
		cfg["tickTime"] = strconv.Itoa(o.TickTime)
	}
	if o.MinSessionTimeout > 0 {
		cfg["minSessionTimeout"] = strconv.Itoa(o.MinSessionTimeout)
	}
	if o.MaxSessionTimeout > 0 {
		cfg["maxSessionTimeout"] = strconv.Itoa(o.MaxSessionTimeout)
	}
	if o.MaxClientCnxns != nil {
		cfg["maxClientCnxns"] = strconv.Itoa(*o.MaxClientCnxns)
	}
	if o.FourLetterWords != "" {
		cfg["4lw.commands.whitelist"] = o.FourLetterWords
	}
	if o.ForceSync != nil {
		cfg["forceSync"] = map[bool]string{true: "yes", false: "no"}[*o.ForceSync]
	}
	if o.ReconfigEnabled {
		cfg["reconfigEnabled"] = "true"
	}
	for k, v := range o.Extra {
		cfg[k] = v
	}
	return cfg
}

func writeCfg(path string, cfg map[string]string) error {
	keys := make([]string, 0, len(cfg))
	for k := range cfg {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, cfg[k])
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func (o Options) jvmArgs() []string {
	heap := o.HeapMB
	if heap == 0 {
		heap = 256
	}
	args := []string{
		fmt.Sprintf("-Xms%dm", heap), fmt.Sprintf("-Xmx%dm", heap),
		"-Dzookeeper.admin.enableServer=false",
		"-Dzookeeper.4lw.commands.whitelist=*",
	}
	if o.ExtendedTypes {
		args = append(args, "-Dzookeeper.extendedTypesEnabled=true")
	}
	if o.SuperDigest != "" {
		args = append(args, "-Dzookeeper.DigestAuthenticationProvider.superDigest="+o.SuperDigest)
	}
	if o.ReadOnlyMode {
		args = append(args, "-Dreadonlymode.enabled=true")
	}
	return args
}

// StartStandalone starts Apache ZooKeeper 3.8 as a standalone server.
func StartStandalone(t T, o Options) *Server {
	t.Helper()
	if err := Available(); err != nil {
		t.Fatalf("%v", err)
	}
	dir := t.TempDir()
	port := FreePort(t)
	s := &Server{Addr: fmt.Sprintf("127.0.0.1:%d", port), ClientPort: port, DataDir: filepath.Join(dir, "data"), Kind: "zookeeper",
		t: t, logPath: filepath.Join(dir, "server.log")}
	cfg := o.zooCfg(filepath.Join(dir, "data"), port)
	jaas := o.Client.apply(t, dir, cfg, s)
	cfgPath := filepath.Join(dir, "zoo.cfg")
	if err := writeCfg(cfgPath, cfg); err != nil {
		t.Fatalf("%v", err)
	}
	argv := append([]string{Java, "-cp", Classpath()}, o.jvmArgs()...)
	if jaas != "" {
		argv = append(argv, "-Djava.security.auth.login.config="+jaas)
	}
	argv = append(argv, "org.apache.zookeeper.server.ZooKeeperServerMain", cfgPath)
	s.argv = append(append([]string(nil), o.Prefix...), argv...)
	s.start()
	return s
}

// StartOurs starts our server binary (see BuildOurs) with the same options.
func StartOurs(t T, bin string, o Options) *Server {
	t.Helper()
	dir := t.TempDir()
	port := FreePort(t)
	data := filepath.Join(dir, "data")
	if o.DataDir != nil {
		data = o.DataDir(1)
	}
	cfg := o.zooCfg(data, port)
	adminPort := FreePort(t)
	cfg["admin.serverPort"] = strconv.Itoa(adminPort)
	cfg["admin.serverAddress"] = "127.0.0.1"
	delete(cfg, "admin.enableServer")
	if o.ExtendedTypes {
		cfg["extendedTypesEnabled"] = "true"
	}
	if o.SuperDigest != "" {
		cfg["superDigest"] = o.SuperDigest
	}
	s := &Server{Addr: fmt.Sprintf("127.0.0.1:%d", port), ClientPort: port, DataDir: data, Kind: "zkensemble",
		AdminAddr: fmt.Sprintf("127.0.0.1:%d", adminPort), t: t, logPath: filepath.Join(dir, "server.log")}
	o.adminSecurity(t, dir, 1, cfg, s)
	if jaas := o.Client.apply(t, dir, cfg, s); jaas != "" {
		cfg["jaasLoginConfig"] = jaas
	}
	cfgPath := filepath.Join(dir, "zoo.cfg")
	if err := writeCfg(cfgPath, cfg); err != nil {
		t.Fatalf("%v", err)
	}
	s.argv = append(append(append([]string(nil), o.Prefix...), bin, cfgPath), o.Args...)
	s.start()
	return s
}

var buildOnce struct {
	sync.Once
	path string
	err  error
}

// BuildOurs builds cmd/zkensemble-server once per process and returns the binary.
func BuildOurs(t T) string {
	t.Helper()
	buildOnce.Do(func() {
		root, err := moduleRoot()
		if err != nil {
			buildOnce.err = err
			return
		}
		dir, err := os.MkdirTemp("", "zkensemble-bin-")
		if err != nil {
			buildOnce.err = err
			return
		}
		buildOnce.path = filepath.Join(dir, "zkensemble-server")
		cmd := exec.Command("go", "build", "-o", buildOnce.path, "./cmd/zkensemble-server")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildOnce.err = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if buildOnce.err != nil {
		t.Fatalf("%v", buildOnce.err)
	}
	return buildOnce.path
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found")
		}
		dir = parent
	}
}
