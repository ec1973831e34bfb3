package certs

import (
	"crypto/x509"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Scheme is the URI scheme of zkensemble identities.
const Scheme = "zkensemble"

// Role is what an identity may do.
type Role string

const (
	// RoleMember is an ensemble member (replication streams, both ways).
	RoleMember Role = "member"
	// RoleOperator is the operator (the admin API's writes and private views).
	RoleOperator Role = "operator"
	// RoleBackup takes backups: the admin API's GET /v1/backup, nothing else.
	RoleBackup Role = "backup"
)

// Identity is who a certificate speaks for.
type Identity struct {
	Ensemble string
	Role     Role
	Member   uint64 // RoleMember only
}

// Member is the identity of member id of an ensemble.
func Member(ensemble string, id uint64) Identity {
	return Identity{Ensemble: ensemble, Role: RoleMember, Member: id}
}

// Operator is the identity of the operator for an ensemble.
func Operator(ensemble string) Identity { return Identity{Ensemble: ensemble, Role: RoleOperator} }

// Backup is the identity of an ensemble's backup jobs.
func Backup(ensemble string) Identity { return Identity{Ensemble: ensemble, Role: RoleBackup} }

// URI is the identity as a certificate's URI SAN.
func (i Identity) URI() *url.URL {
	p := "/" + string(i.Role)
	if i.Role == RoleMember {
		p += "/" + strconv.FormatUint(i.Member, 10)
	}
	return &url.URL{Scheme: Scheme, Host: i.Ensemble, Path: p}
}

func (i Identity) String() string { return i.URI().String() }

// ParseIdentity reads a zkensemble URI.
func ParseIdentity(u *url.URL) (Identity, error) {
	if u.Scheme != Scheme || u.Host == "" {
		return Identity{}, fmt.Errorf("certs: %q is not a %s:// identity", u, Scheme)
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	switch {
	case len(parts) == 1 && parts[0] == string(RoleOperator):
		return Operator(u.Host), nil
	case len(parts) == 1 && parts[0] == string(RoleBackup):
		return Backup(u.Host), nil
	case len(parts) == 2 && parts[0] == string(RoleMember):
		id, err := strconv.ParseUint(parts[1], 10, 8)
		if err != nil || id == 0 {
			return Identity{}, fmt.Errorf("certs: %q: member ids are 1..255", u)
		}
		return Member(u.Host, id), nil
	}
	return Identity{}, fmt.Errorf("certs: %q names no known role", u)
}

// IdentityOf returns the zkensemble identity a certificate names; ok is
// false when it names none (a certificate made for ZooKeeper by hand). A
// certificate naming two identities names none we would trust.
func IdentityOf(c *x509.Certificate) (id Identity, ok bool, err error) {
	for _, u := range c.URIs {
		if u.Scheme != Scheme {
			continue
		}
		got, err := ParseIdentity(u)
		if err != nil {
			return Identity{}, true, err
		}
		if ok {
			return Identity{}, true, fmt.Errorf("certs: the certificate names more than one identity")
		}
		id, ok = got, true
	}
	return id, ok, nil
}
