package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/zkensemble/zkensemble/pkg/adminapi"
	"github.com/zkensemble/zkensemble/pkg/backup"
	"github.com/zkensemble/zkensemble/pkg/podlayout"
)

// runBackup: zkensemble-server backup --admin-url URL --to DEST [...], or
// zkensemble-server backup list --at DEST.
func runBackup(args []string) error {
	if len(args) > 0 && args[0] == "list" {
		return runBackupList(args[1:])
	}
	fs := flag.NewFlagSet("zkensemble-server backup", flag.ContinueOnError)
	adminURL := fs.String("admin-url", "", "the member's admin API, e.g. https://zk-0.zk-peers:8080 (required)")
	to := fs.String("to", "", "destination: s3://bucket/prefix?endpoint=...&region=...&use_path_style=true or file:///dir (required)")
	creds := credentialFlags(fs)
	keepLast := fs.Int("keep-last", 0, "after the backup, keep the newest N backups of the ensemble (and those --keep-within keeps)")
	keepWithin := fs.Duration("keep-within", 0, "after the backup, keep the ensemble's backups younger than this (e.g. 168h)")
	ensembleID := fs.String("ensemble-id", "", "refuse a member of another ensemble (default: the member's)")
	timeout := fs.Duration("timeout", 30*time.Minute, "give up after this long")
	tlog := fs.String("termination-log", terminationLog, "also write the result (or the error) here when the file exists")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: zkensemble-server backup --admin-url URL --to DEST [flags]\n       zkensemble-server backup list --at DEST\n\n"+
			"Fetches a consistent snapshot from the member's GET /v1/backup, checks it and uploads it to DEST as\n"+
			"<ensemble>-<UTC time>-<zxid>; prints one JSON line. S3 credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\n"+
			"(or an AWS profile).\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	err := func() error {
		if *adminURL == "" || *to == "" || fs.NArg() > 0 {
			return errors.New("backup needs --admin-url and --to (and no other arguments)")
		}
		if *keepLast < 0 || *keepWithin < 0 {
			return errors.New("--keep-last and --keep-within must not be negative")
		}
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
		defer stop()
		ctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		c, err := creds.credentials()
		if err != nil {
			return err
		}
		started := time.Now().UTC()
		store, err := openWritableStore(ctx, *to)
		if err != nil {
			return err
		}
		defer func() { _ = store.Close() }()
		taken, err := backup.Take(ctx, adminapi.NewClient(*adminURL, nil, c), store, *ensembleID)
		if err != nil {
			return err
		}
		res := podlayout.BackupResult{Name: taken.Name, Location: taken.Location, Zxid: taken.Manifest.Zxid.String(), Size: taken.Size,
			SHA256: taken.Manifest.SnapshotSHA256, Started: started.Format(time.RFC3339), Pruned: []string{}}
		if *keepLast > 0 || *keepWithin > 0 {
			res.Pruned, err = store.Prune(ctx, taken.Manifest.EnsembleID, backup.Retention{KeepLast: *keepLast, KeepWithin: *keepWithin}, time.Now())
			if err != nil {
				return fmt.Errorf("the backup %s is stored, but retention failed: %w", taken.Location, err)
			}
		}
		res.Completed = time.Now().UTC().Format(time.RFC3339)
		line, _ := json.Marshal(res)
		fmt.Println(string(line))
		writeTerminationLog(*tlog, string(line))
		return nil
	}()
	if err != nil {
		err = fmt.Errorf("backup failed: %s", oneLine(err.Error()))
		writeTerminationLog(*tlog, err.Error())
	}
	return err
}

// openWritableStore opens DEST and checks that it can be reached (the bucket
// exists, the credentials are taken) before a backup is fetched.
func openWritableStore(ctx context.Context, dest string) (*backup.Store, error) {
	store, err := backup.OpenStore(ctx, dest)
	if err != nil {
		return nil, err
	}
	if _, err := store.List(ctx, "\x00none"); err != nil {
		_ = store.Close()
		return nil, err
	}
	return store, nil
}

func runBackupList(args []string) error {
	fs := flag.NewFlagSet("zkensemble-server backup list", flag.ContinueOnError)
	at := fs.String("at", "", "where the backups are: s3://bucket/prefix?... or file:///dir (required)")
	ensembleID := fs.String("ensemble-id", "", "list only this ensemble's backups")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *at == "" || fs.NArg() > 0 {
		return errors.New("backup list needs --at DEST")
	}
	ctx := context.Background()
	store, err := backup.OpenStore(ctx, *at)
	if err != nil {
		return err
	}
	defer func() { _ = store.Close() }()
	list, err := store.List(ctx, *ensembleID)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tZXID\tSIZE\tTIME")
	for _, b := range list {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", b.Name, b.Zxid, b.Size, b.Time.Format(time.RFC3339))
	}
	return tw.Flush()
}

// adminCredentials are the flags that authenticate to a member's admin API.
type adminCredentials struct{ cert, key, ca, tokenFile *string }

func credentialFlags(fs *flag.FlagSet) adminCredentials {
	return adminCredentials{
		cert:      fs.String("tls-cert", "", "client certificate (PEM) naming zkensemble://<ensemble-id>/backup or the operator"),
		key:       fs.String("tls-key", "", "its private key (PEM)"),
		ca:        fs.String("tls-ca", "", "the CA bundle (PEM) that verifies the member"),
		tokenFile: fs.String("token-file", "", "file holding the member's admin token (admin.tokenFile)"),
	}
}

func (a adminCredentials) credentials() (adminapi.Credentials, error) {
	var c adminapi.Credentials
	if *a.tokenFile != "" {
		b, err := os.ReadFile(*a.tokenFile)
		if err != nil {
			return c, fmt.Errorf("--token-file: %w", err)
		}
		c.Token = strings.TrimSpace(string(b))
	}
	if *a.cert == "" && *a.key == "" && *a.ca == "" {
		return c, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if *a.cert != "" || *a.key != "" {
		pair, err := tls.LoadX509KeyPair(*a.cert, *a.key)
		if err != nil {
			return c, fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	if *a.ca != "" {
		pem, err := os.ReadFile(*a.ca)
		if err != nil {
			return c, fmt.Errorf("--tls-ca: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return c, fmt.Errorf("--tls-ca %s holds no PEM certificate", *a.ca)
		}
	}
	c.TLS = cfg
	return c, nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
