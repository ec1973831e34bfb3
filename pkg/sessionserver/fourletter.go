package sessionserver

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// fourLetterWord answers an admin command sent in place of a ConnectRequest,
// then closes the connection (ZooKeeper's FourLetterCommands).
func (c *conn) fourLetterWord(cmd string) {
	s := c.srv
	var out string
	if !s.cfg.FourLetterAllowed(cmd) {
		out = cmd + " is not executed because it is not in the whitelist.\n"
	} else {
		out = s.fourLetterOutput(cmd)
	}
	c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, _ = c.nc.Write([]byte(out)) // the connection closes after it either way
}

func (s *Server) fourLetterOutput(cmd string) string {
	if out, ok := s.notServingOutput(cmd); ok {
		return out
	}
	switch cmd {
	case "ruok":
		return "imok"
	case "isro":
		if s.readOnlyActive() {
			return "ro"
		}
		return "rw"
	case "srvr":
		return s.srvrText(false)
	case "stat":
		return s.srvrText(true)
	case "cons":
		var b strings.Builder
		for _, c := range s.connList() {
			b.WriteString(c.consLine(true))
		}
		b.WriteString("\n")
		return b.String()
	case "crst":
		for _, c := range s.connList() {
			c.resetStats()
		}
		return "Connection stats reset.\n"
	case "srst":
		s.stats.reset()
		return "Server stats reset.\n"
	case "mntr":
		var b strings.Builder
		for _, kv := range s.monitor() {
			fmt.Fprintf(&b, "zk_%s\t%v\n", kv.key, kv.value)
		}
		return b.String()
	case "conf":
		return s.confText()
	case "envi":
		var b strings.Builder
		b.WriteString("Environment:\n")
		for _, kv := range s.environment() {
			fmt.Fprintf(&b, "%s=%s\n", kv[0], kv[1])
		}
		return b.String()
	case "wchs":
		conns, paths, total := s.sm.tree.Watches.Summary()
		return fmt.Sprintf("%d connections watching %d paths\nTotal watches:%d\n", conns, paths, total)
	case "wchc":
		var b strings.Builder
		for _, e := range s.watchesBySession() {
			fmt.Fprintf(&b, "0x%x\n", e.sid)
			for _, p := range e.paths {
				fmt.Fprintf(&b, "\t%s\n", p)
			}
		}
		b.WriteString("\n")
		return b.String()
	case "wchp":
		var b strings.Builder
		for _, e := range s.watchesByPath() {
			fmt.Fprintf(&b, "%s\n", e.path)
			for _, sid := range e.sids {
				fmt.Fprintf(&b, "\t0x%x\n", sid)
			}
		}
		return b.String()
	case "dump":
		return s.dumpText()
	case "dirs":
		return fmt.Sprintf("datadir_size: %d\nlogdir_size: %d\n", dirSize(s.cfg.DataDir), dirSize(s.cfg.DataLogDir))
	case "gtmk":
		return "306\n"
	}
	return ""
}

func javaDouble(v float64) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

func (s *Server) srvrText(withClients bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Zookeeper version: %s\n", Version)
	if s.readOnlyActive() {
		b.WriteString("READ-ONLY mode; serving only read-only clients\n")
	}
	if withClients {
		b.WriteString("Clients:\n")
		for _, c := range s.connList() {
			b.WriteString(c.consLine(false))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "Latency min/avg/max: %d/%s/%d\n", s.stats.minLat.Load(), javaDouble(s.stats.avg()), s.stats.maxLat.Load())
	fmt.Fprintf(&b, "Received: %d\n", s.stats.received.Load())
	fmt.Fprintf(&b, "Sent: %d\n", s.stats.sent.Load())
	fmt.Fprintf(&b, "Connections: %d\n", len(s.connList()))
	fmt.Fprintf(&b, "Outstanding: %d\n", s.outstanding())
	fmt.Fprintf(&b, "Zxid: 0x%x\n", s.LastZxid())
	fmt.Fprintf(&b, "Mode: %s\n", s.modeText())
	fmt.Fprintf(&b, "Node count: %d\n", s.nodeCount())
	return b.String()
}

func (s *Server) nodeCount() int {
	s.sm.tree.RLock()
	defer s.sm.tree.RUnlock()
	return s.sm.tree.NodeCount()
}

func (s *Server) outstanding() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}

func (s *Server) connList() []*conn {
	s.mu.Lock()
	out := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

func (c *conn) queued() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.queue)
}

// consLine is one connection as cons (full) or stat (brief) print it.
func (c *conn) consLine(full bool) string {
	addr := c.nc.RemoteAddr().String()
	if !full || c.sid == 0 {
		return fmt.Sprintf(" /%s[%d](queued=%d,recved=%d,sent=%d)\n", addr, boolInt(c.sid != 0), c.queued(), c.recved.Load(), c.sent.Load())
	}
	minLat := c.minLat.Load()
	if minLat < 0 {
		minLat = 0
	}
	var avg int64
	if n := c.cntLat.Load(); n > 0 {
		avg = c.sumLat.Load() / n
	}
	lop := "NA"
	if op := c.lastOp.Load(); op != -100 {
		lop = opShortName(op)
	}
	lresp := c.lastResponseAtMilli.Load()
	return fmt.Sprintf(" /%s[1](queued=%d,recved=%d,sent=%d,sid=0x%x,lop=%s,est=%d,to=%d,lcxid=0x%x,lzxid=0x%x,lresp=%d,llat=%d,minlat=%d,avglat=%d,maxlat=%d)\n",
		addr, c.queued(), c.recved.Load(), c.sent.Load(), c.sid, lop, c.created.UnixMilli(), c.timeout,
		c.lastCxid.Load(), c.lastZxid.Load(), lresp, c.lastLat.Load(), minLat, avg, c.maxLat.Load())
}

func (c *conn) resetStats() {
	c.recved.Store(0)
	c.sent.Store(0)
	c.minLat.Store(-1)
	c.maxLat.Store(0)
	c.sumLat.Store(0)
	c.cntLat.Store(0)
	c.lastLat.Store(0)
	c.lastOp.Store(-100)
	c.lastCxid.Store(-1)
	c.lastZxid.Store(-1)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

type kv struct {
	key   string
	value any
}

func (s *Server) monitor() []kv {
	conns, _, total := s.sm.tree.Watches.Summary()
	_ = conns
	s.sm.tree.RLock()
	nodes, eph, size := s.sm.tree.NodeCount(), s.sm.tree.EphemeralCount(), s.sm.tree.ApproximateDataSize()
	sessionsN := len(s.sm.sessionTable)
	s.sm.tree.RUnlock()
	return []kv{
		{"version", Version},
		{"server_state", s.modeText()},
		{"ephemerals_count", eph},
		{"num_alive_connections", len(s.connList())},
		{"avg_latency", javaDouble(s.stats.avg())},
		{"outstanding_requests", s.outstanding()},
		{"znode_count", nodes},
		{"global_sessions", sessionsN},
		{"local_sessions", 0},
		{"packets_sent", s.stats.sent.Load()},
		{"packets_received", s.stats.received.Load()},
		{"watch_count", total},
		{"min_latency", s.stats.minLat.Load()},
		{"max_latency", s.stats.maxLat.Load()},
		{"approximate_data_size", size},
		{"open_file_descriptor_count", openFDs()},
		{"max_file_descriptor_count", maxFDs()},
		{"uptime", time.Since(s.started).Milliseconds()},
		{"auth_failed_count", s.stats.tlsAuthFailed.Load()},
		{"connection_drop_probability", "0.0"},
	}
}

func (s *Server) confText() string {
	var b strings.Builder
	fmt.Fprintf(&b, "clientPort=%d\n", listenerPort(s.ln))
	fmt.Fprintf(&b, "secureClientPort=%d\n", listenerPort(s.secureLn))
	fmt.Fprintf(&b, "dataDir=%s\n", s.cfg.DataDir)
	fmt.Fprintf(&b, "dataDirSize=%d\n", dirSize(s.cfg.DataDir))
	logDir := s.cfg.DataLogDir
	if logDir == "" {
		logDir = s.cfg.DataDir
	}
	fmt.Fprintf(&b, "dataLogDir=%s\n", logDir)
	fmt.Fprintf(&b, "dataLogSize=%d\n", dirSize(logDir))
	fmt.Fprintf(&b, "tickTime=%d\n", s.cfg.TickTime)
	fmt.Fprintf(&b, "maxClientCnxns=%d\n", s.cfg.MaxClientCnxns)
	fmt.Fprintf(&b, "minSessionTimeout=%d\n", s.cfg.MinTimeout())
	fmt.Fprintf(&b, "maxSessionTimeout=%d\n", s.cfg.MaxTimeout())
	b.WriteString("clientPortListenBacklog=-1\n")
	fmt.Fprintf(&b, "serverId=%d\n", s.serverIDForConf())
	return b.String()
}

func (s *Server) serverIDForConf() uint64 {
	if len(s.cfg.Servers) == 0 {
		return 0 // standalone ZooKeeper reports serverId=0
	}
	return s.id
}

func (s *Server) environment() [][2]string {
	host, _ := os.Hostname()
	wd, _ := os.Getwd()
	return [][2]string{
		{"zookeeper.version", Version},
		{"host.name", host},
		{"go.version", runtime.Version()},
		{"os.name", runtime.GOOS},
		{"os.arch", runtime.GOARCH},
		{"user.dir", wd},
		{"os.memory.free", strconv.FormatUint(memFree(), 10) + "MB"},
	}
}

type sessionWatches struct {
	sid   int64
	paths []string
}

func (s *Server) watchesBySession() []sessionWatches {
	var out []sessionWatches
	for w, paths := range s.sm.tree.Watches.ByWatcher() {
		if c, ok := w.(*conn); ok {
			out = append(out, sessionWatches{sid: c.sid, paths: paths})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].sid < out[j].sid })
	return out
}

type pathWatches struct {
	path string
	sids []int64
}

func (s *Server) watchesByPath() []pathWatches {
	var out []pathWatches
	for p, ws := range s.sm.tree.Watches.ByPath() {
		e := pathWatches{path: p}
		for _, w := range ws {
			if c, ok := w.(*conn); ok {
				e.sids = append(e.sids, c.sid)
			}
		}
		sort.Slice(e.sids, func(i, j int) bool { return e.sids[i] < e.sids[j] })
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out
}

func (s *Server) dumpText() string {
	var b strings.Builder
	b.WriteString("SessionTracker dump:\n")
	infos := s.Sessions()
	byExpiry := map[int64][]int64{}
	var times []int64
	for _, in := range infos {
		if _, ok := byExpiry[in.ExpiresAt]; !ok {
			times = append(times, in.ExpiresAt)
		}
		byExpiry[in.ExpiresAt] = append(byExpiry[in.ExpiresAt], in.ID)
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	fmt.Fprintf(&b, "Session Sets (%d)/(%d):\n", len(times), len(infos))
	for _, t := range times {
		fmt.Fprintf(&b, "%d expire at %s:\n", len(byExpiry[t]), time.Now().Add(time.Duration(t-monotonicNow())*time.Millisecond).Format("Mon Jan 02 15:04:05 MST 2006"))
		for _, sid := range byExpiry[t] {
			fmt.Fprintf(&b, "\t0x%x\n", sid)
		}
	}
	b.WriteString("ephemeral nodes dump:\n")
	s.sm.tree.RLock()
	var sids []int64
	for sid := range s.sm.sessionTable {
		if len(s.sm.tree.Ephemerals(sid, "")) > 0 {
			sids = append(sids, sid)
		}
	}
	sort.Slice(sids, func(i, j int) bool { return sids[i] < sids[j] })
	fmt.Fprintf(&b, "Sessions with Ephemerals (%d):\n", len(sids))
	for _, sid := range sids {
		fmt.Fprintf(&b, "0x%x:\n", sid)
		for _, p := range s.sm.tree.Ephemerals(sid, "") {
			fmt.Fprintf(&b, "\t%s\n", p)
		}
	}
	s.sm.tree.RUnlock()
	b.WriteString("Connections dump:\n")
	fmt.Fprintf(&b, "Connections Sets (%d)/(%d):\n", 0, len(s.connList()))
	return b.String()
}
