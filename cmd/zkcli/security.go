package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/zkensemble/zkensemble/pkg/certs"
	"github.com/zkensemble/zkensemble/pkg/zkclient"
)

const securityUsage = `
TLS (the server's secureClientPort) and SASL:
  -tls-ca FILE               connect with TLS, trusting the PEM CA bundle FILE
  -tls-cert FILE, -tls-key FILE
                             a client certificate and its key (PEM; one file may
                             hold both): the server's x509 id for this client
  -tls-server-name NAME      the name the server's certificate must carry
                             (default: the host of the connect string)
  -sasl-user USER            authenticate with SASL DIGEST-MD5 as USER
  -sasl-password-file FILE   USER's password (default: $ZKCLI_SASL_PASSWORD)
`

// securityFlags are the flags of TLS and SASL.
type securityFlags struct {
	ca, cert, key, serverName, user, passwordFile *string
}

func addSecurityFlags(fs *flag.FlagSet) securityFlags {
	return securityFlags{
		ca:           fs.String("tls-ca", "", "PEM CA bundle: connect with TLS"),
		cert:         fs.String("tls-cert", "", "PEM client certificate"),
		key:          fs.String("tls-key", "", "PEM client key (default: -tls-cert's file)"),
		serverName:   fs.String("tls-server-name", "", "name the server's certificate must carry"),
		user:         fs.String("sasl-user", "", "SASL DIGEST-MD5 user"),
		passwordFile: fs.String("sasl-password-file", "", "file holding the SASL password"),
	}
}

// options turns the flags into client options.
func (f securityFlags) options() ([]zkclient.Option, error) {
	var opts []zkclient.Option
	if *f.ca != "" {
		raw, err := os.ReadFile(*f.ca)
		if err != nil {
			return nil, err
		}
		cas, err := certs.ParseCertificates(raw)
		if err != nil {
			return nil, fmt.Errorf("-tls-ca: %w", err)
		}
		pool := x509.NewCertPool()
		for _, c := range cas {
			pool.AddCert(c)
		}
		cfg := &tls.Config{RootCAs: pool, ServerName: *f.serverName, MinVersion: tls.VersionTLS12}
		if *f.cert != "" {
			key := *f.key
			if key == "" {
				key = *f.cert
			}
			pair, err := tls.LoadX509KeyPair(*f.cert, key)
			if err != nil {
				return nil, fmt.Errorf("-tls-cert/-tls-key: %w", err)
			}
			cfg.Certificates = []tls.Certificate{pair}
		}
		opts = append(opts, zkclient.WithTLS(cfg))
	} else if *f.cert != "" || *f.serverName != "" {
		return nil, errors.New("-tls-cert and -tls-server-name need -tls-ca")
	}
	if *f.user != "" {
		pw := os.Getenv("ZKCLI_SASL_PASSWORD")
		if *f.passwordFile != "" {
			b, err := os.ReadFile(*f.passwordFile)
			if err != nil {
				return nil, err
			}
			pw = strings.TrimRight(string(b), "\r\n")
		}
		opts = append(opts, zkclient.WithSASL(*f.user, pw))
	}
	return opts, nil
}

// whoami prints the session's ids, one "scheme:id" a line.
func whoami(ctx context.Context, c *zkclient.Conn, args []string, out io.Writer) error {
	if len(args) != 0 {
		return usageError("takes no arguments")
	}
	ids, err := c.WhoAmI(ctx)
	for _, id := range ids {
		fmt.Fprintf(out, "%s:%s\n", id.AuthScheme, id.User)
	}
	return err
}
