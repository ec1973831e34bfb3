package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os/signal"
	"syscall"

	"github.com/zkensemble/zkensemble/pkg/backup"
	"github.com/zkensemble/zkensemble/pkg/seed"
)

// runRestore: zkensemble-server restore --from LOCATION --dataDir DST.
func runRestore(args []string) error {
	fs := flag.NewFlagSet("zkensemble-server restore", flag.ContinueOnError)
	from := fs.String("from", "", "the backup: s3://bucket/prefix/<name>?endpoint=... or file:///dir/<name> (required)")
	dataDir := fs.String("dataDir", "", "the new data directory; must be absent or empty (required)")
	ensembleID := fs.String("ensemble-id", "", "the ensemble the directory is for (the server's --ensemble-id; default: the backup's)")
	memberID := fs.Uint64("member-id", 1, "the member the directory is for (the others join it)")
	tmpDir := fs.String("tmp-dir", "", "where the snapshot is spooled while it is checked (default: the system's)")
	tlog := fs.String("termination-log", terminationLog, "also write the result (or the error) here when the file exists")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: zkensemble-server restore --from LOCATION --dataDir DST [flags]\n\n"+
			"Downloads a backup, checks it, and writes DST so that `zkensemble-server --dataDir DST` serves its tree at\n"+
			"its zxid, without its sessions (their ephemeral znodes are removed, as expired); prints one JSON line.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	err := func() error {
		if *from == "" || *dataDir == "" || fs.NArg() > 0 {
			return errors.New("restore needs --from and --dataDir (and no other arguments)")
		}
		if err := seed.CheckEmpty(*dataDir); err != nil {
			return fmt.Errorf("restoring over a live data directory is refused: %w", err)
		}
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
		defer stop()
		dest, name, err := backup.SplitLocation(*from)
		if err != nil {
			return err
		}
		store, err := backup.OpenStore(ctx, dest)
		if err != nil {
			return err
		}
		defer func() { _ = store.Close() }()
		r, err := store.Get(ctx, name)
		if err != nil {
			return err
		}
		defer func() { _ = r.Close() }()
		res, err := backup.Restore(r, *dataDir, *tmpDir, seed.Options{EnsembleID: *ensembleID, MemberID: *memberID})
		if err != nil {
			return err
		}
		line, _ := json.Marshal(map[string]any{
			"location": *from, "dataDir": *dataDir, "ensembleId": res.Manifest.EnsembleID, "restoredAs": ensembleOr(*ensembleID, res.Manifest.EnsembleID),
			"member": *memberID, "zxid": res.Manifest.Zxid.String(), "znodes": res.Znodes, "droppedEphemerals": res.DroppedEphemerals,
		})
		fmt.Println(string(line))
		writeTerminationLog(*tlog, string(line))
		return nil
	}()
	if err != nil {
		err = fmt.Errorf("restore failed: %s", oneLine(err.Error()))
		writeTerminationLog(*tlog, err.Error())
	}
	return err
}

func ensembleOr(id, backupID string) string {
	if id != "" {
		return id
	}
	return backupID
}
