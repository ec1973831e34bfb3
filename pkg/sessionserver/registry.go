package sessionserver

import (
	"crypto/tls"
	"errors"
	"net"
)

// The connection registry: the Server's half that the state machine never
// touches. conns, perIP and bySID change under s.mu.

func (s *Server) acceptLoop(ln net.Listener, secure bool) {
	defer s.wg.Done()
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.closed.Load() {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			s.logger.Error("accept", "err", err)
			return
		}
		ip, _, _ := net.SplitHostPort(nc.RemoteAddr().String())
		s.mu.Lock()
		if s.cfg.MaxClientCnxns > 0 && s.perIP[ip] >= s.cfg.MaxClientCnxns {
			s.mu.Unlock()
			s.logger.Warn("too many connections from one address", "ip", ip, "max", s.cfg.MaxClientCnxns)
			s.metrics.refused.Inc()
			s.metrics.zk.connRejected.Inc()
			nc.Close()
			continue
		}
		s.perIP[ip]++
		if secure { // the handshake runs on the connection's goroutine (startTLS)
			nc = tls.Server(nc, s.secureTLS)
		}
		c := newConn(s, nc, ip)
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.metrics.connections.Inc()
		go c.serve()
	}
}

func (s *Server) unregisterConn(c *conn) {
	s.mu.Lock()
	if _, ok := s.conns[c]; ok {
		delete(s.conns, c)
		s.perIP[c.ip]--
		if s.perIP[c.ip] <= 0 {
			delete(s.perIP, c.ip)
		}
		if c.sid != 0 && s.bySID[c.sid] == c {
			delete(s.bySID, c.sid)
		}
	}
	s.mu.Unlock()
}

// bind makes c the connection of sid on this server, closing an older one.
func (s *Server) bind(c *conn, sid int64) {
	s.mu.Lock()
	old := s.bySID[sid]
	s.bySID[sid] = c
	s.mu.Unlock()
	if old != nil && old != c {
		old.close()
	}
}

func (s *Server) connOf(sid int64) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bySID[sid]
}
