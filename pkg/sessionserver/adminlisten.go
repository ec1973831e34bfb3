package sessionserver

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/zkensemble/zkensemble/pkg/certs"
)

// WithEnsembleID names the ensemble this server belongs to: its admin API
// takes the client certificate of that ensemble's operator.
func WithEnsembleID(id string) Option { return func(s *Server) { s.ensembleID = id } }

// startAdmin opens the admin listener — HTTPS asking for a client
// certificate when the member has certificates, else plain HTTP — with the
// access policy of adminauth.go in front, and the plain probe listener.
func (s *Server) startAdmin() error {
	if s.cfg.AdminPort >= 0 {
		auth := &adminAuth{operator: certs.Operator(s.ensembleID), backup: certs.Backup(s.ensembleID), logger: s.logger}
		var tlsCfg *tls.Config
		if files := s.cfg.QuorumTLS.CertFiles(); files.Enabled() {
			var err error
			if tlsCfg, auth.trust, err = files.HTTPSConfig(); err != nil {
				return fmt.Errorf("admin port: %w", err)
			}
		}
		if s.cfg.AdminTokenFile != "" {
			var err error
			if auth.token, err = newTokenFile(s.cfg.AdminTokenFile); err != nil {
				return err
			}
		}
		switch {
		case auth.trust == nil && auth.token == nil:
			s.logger.Warn("the admin API's protected endpoints (/v1/, sessions, connections, dump) are OFF: " + errAdminOff.Error())
		case auth.trust == nil:
			s.logger.Warn("the admin API takes a bearer token over plain HTTP: for development only (anyone on the path reads the token)")
		}
		ln, err := s.listenHTTP("admin", s.cfg.AdminAddress, s.cfg.AdminPort, auth.wrap(s.adminHandler()), tlsCfg)
		if err != nil {
			return err
		}
		s.adminLn, s.adminTLS = ln, tlsCfg != nil
	}
	if s.cfg.ProbePort >= 0 {
		ln, err := s.listenHTTP("probe", s.cfg.ProbeAddress, s.cfg.ProbePort, s.probeHandler(), nil)
		if err != nil {
			if s.admin != nil {
				_ = s.admin.Close()
			}
			return err
		}
		s.probeLn = ln
	}
	return nil
}

// listenHTTP serves h on address:port (TLS when tlsCfg is set); the server
// is kept in s.admin or s.probe so Close stops it.
func (s *Server) listenHTTP(name, address string, port int, h http.Handler, tlsCfg *tls.Config) (net.Listener, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(address, strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("%s port: %w", name, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10,
		// Failed handshakes of scanners are not worth a line each at info level.
		ErrorLog: slog.NewLogLogger(s.logger.Handler(), slog.LevelDebug)}
	serveLn := ln
	if tlsCfg != nil {
		serveLn = tls.NewListener(ln, tlsCfg)
	}
	if name == "admin" {
		s.admin = srv
	} else {
		s.probe = srv
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := srv.Serve(serveLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error(name+" listener", "err", err)
		}
	}()
	return ln, nil
}

// AdminURL is the admin listener's base URL (https:// when it speaks TLS),
// or "" when disabled.
func (s *Server) AdminURL() string {
	if s.adminLn == nil {
		return ""
	}
	if s.adminTLS {
		return "https://" + s.adminLn.Addr().String()
	}
	return "http://" + s.adminLn.Addr().String()
}

// ProbeAddr is the probe listener's address, or "" when disabled.
func (s *Server) ProbeAddr() string {
	if s.probeLn == nil {
		return ""
	}
	return s.probeLn.Addr().String()
}
