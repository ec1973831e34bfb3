package sessionserver

import (
	"fmt"

	"github.com/zkensemble/zkensemble/pkg/sasl"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// saslUsersOf is the user database SASL clients authenticate against (nil:
// SASL is not configured, as ZooKeeper without a JAAS Server section).
func saslUsersOf(cs ClientSecurity) (sasl.Users, error) {
	var users sasl.Users
	switch {
	case cs.JAASFile != "":
		j := &sasl.JAASUsers{Path: cs.JAASFile}
		if err := j.Check(); err != nil {
			return nil, err
		}
		users = j
	case cs.SASLUsersDir != "":
		d := sasl.DirUsers{Dir: cs.SASLUsersDir}
		if err := d.Check(); err != nil {
			return nil, err
		}
		users = d
	default:
		return nil, nil
	}
	if cs.SASLSuperPassword != "" {
		users = superPassword{Users: users, password: cs.SASLSuperPassword}
	}
	return users, nil
}

// superPassword gives user "super" the password of
// SASLAuthenticationProvider.superPassword, as ZooKeeper's callback handler.
type superPassword struct {
	sasl.Users
	password string
}

func (s superPassword) Password(user string) (string, bool, error) {
	if user == "super" {
		return s.password, true, nil
	}
	return s.Users.Password(user)
}

// handleSASL answers a sasl request (op 102) at once, outside the pipeline,
// as ZooKeeperServer.processSasl does: the reply has zxid 0 and carries the
// server's token; a failed exchange gets AuthFailed (SessionClosedRequireSasl
// when sasl is a required scheme) with a null token, and the connection closes.
func (c *conn) handleSASL(hdr wire.RequestHeader, body []byte) bool {
	s := c.srv
	var req wire.SASLRequest
	if err := req.Decode(wire.NewDecoder(body)); err != nil {
		s.metrics.malformed.Inc()
		return false
	}
	if s.saslUsers == nil {
		// ZooKeeper without SASL users has no SASL server on the connection
		// and answers with a null token.
		c.writeFrame(saslReply(hdr.Xid, wire.ErrOK, nil), false)
		return true
	}
	if c.sasl == nil {
		c.sasl = sasl.NewServer(s.saslUsers)
	}
	tok, err := c.sasl.Evaluate(req.Token)
	if err != nil {
		s.metrics.authFailed.Inc()
		s.logger.Info("SASL authentication failed", "sessionId", fmt.Sprintf("0x%x", c.sid), "remote", c.nc.RemoteAddr().String(), "err", err)
		code := wire.ErrAuthFailed
		if s.cfg.Client.EnforceAuth && contains(s.cfg.Client.EnforceSchemes, "sasl") {
			code = wire.ErrSessionClosedRequireSASL
		}
		c.writeFrame(saslReply(hdr.Xid, code, nil), true)
		return false
	}
	if c.sasl.Complete() {
		user := c.sasl.User()
		c.addAuthID(wire.Id{Scheme: "sasl", ID: user})
		if contains(s.cfg.Client.SASLSuperUsers, user) {
			c.addAuthID(wire.Id{Scheme: "super", ID: ""})
			c.auth.Super = true
		}
		c.publishAuth()
		s.logger.Info("SASL client authenticated", "sessionId", fmt.Sprintf("0x%x", c.sid), "user", user)
	}
	c.writeFrame(saslReply(hdr.Xid, wire.ErrOK, tok), false)
	return true
}

// saslReply is a reply header with zxid 0 and a SetSASLResponse body, which
// ZooKeeper sends even with an error (a null token then).
func saslReply(xid int32, code wire.ErrCode, token []byte) []byte {
	e := wire.NewEncoder(make([]byte, 0, 64+len(token)))
	(&wire.ReplyHeader{Xid: xid, Zxid: 0, Err: int32(code)}).Encode(e)
	(&wire.SASLRequest{Token: token}).Encode(e)
	return e.Bytes()
}

// enforceAuth refuses a request of a connection that has no id of a
// required scheme (enforce.auth.schemes), as ZooKeeper's
// AuthenticationHelper does: SessionClosedRequireSasl with zxid 0 and no
// body, then the connection closes. It returns false when it refused.
func (c *conn) enforceAuth(hdr wire.RequestHeader) bool {
	cs := &c.srv.cfg.Client
	if !cs.EnforceAuth {
		return true
	}
	for _, id := range c.auth.IDs {
		if contains(cs.EnforceSchemes, id.Scheme) {
			return true
		}
	}
	c.srv.logger.Info("refusing a request of a client that is not authenticated with a required scheme", "sessionId", fmt.Sprintf("0x%x", c.sid), "schemes", cs.EnforceSchemes)
	c.writeFrame(wire.Marshal(&wire.ReplyHeader{Xid: hdr.Xid, Zxid: 0, Err: int32(wire.ErrSessionClosedRequireSASL)}), true)
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
