package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// subcommand is a command given before the flags (zkensemble-server NAME ...).
type subcommand struct {
	summary string
	run     func(args []string) error
}

// subcommands are the server's other commands (backupcmd.go, restorecmd.go).
var subcommands = map[string]subcommand{
	"backup":  {"take a backup from a member's admin API into object storage or a directory; `backup list` lists them", runBackup},
	"restore": {"write a new data directory from a backup", runRestore},
}

// subcommandUsage lists the subcommands for --help.
func subcommandUsage(w io.Writer) {
	names := make([]string, 0, len(subcommands))
	for n := range subcommands {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintf(w, "\nCommands (before the flags; zkensemble-server COMMAND --help for theirs):\n")
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, subcommands[n].summary)
	}
	fmt.Fprintln(w)
}

// terminationLog is where Kubernetes reads a container's last words.
const terminationLog = "/dev/termination-log"

// writeTerminationLog writes msg to path when that file exists (a pod).
func writeTerminationLog(path, msg string) {
	if path == "" {
		return
	}
	if _, err := os.Stat(path); err != nil {
		return
	}
	_ = os.WriteFile(path, []byte(strings.TrimSpace(msg)+"\n"), 0o644)
}
