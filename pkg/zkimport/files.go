package zkimport

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// dataFile is a snapshot or log file named <prefix>.<hex zxid>[.<suffix>].
type dataFile struct {
	path   string
	zxid   int64
	suffix string // "", "gz" or "snappy" for snapshots
}

// listFiles is Util.getZxidFromName over dir: files named prefix.<hex>
// (snapshots may carry a compression suffix), sorted by zxid ascending.
func listFiles(dir, prefix string) ([]dataFile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []dataFile
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		parts := strings.Split(e.Name(), ".")
		if len(parts) < 2 || len(parts) > 3 || parts[0] != prefix {
			continue
		}
		z, err := strconv.ParseInt(parts[1], 16, 64)
		if err != nil {
			continue
		}
		f := dataFile{path: filepath.Join(dir, e.Name()), zxid: z}
		if len(parts) == 3 {
			f.suffix = parts[2]
		}
		out = append(out, f)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].zxid < out[b].zxid })
	return out, nil
}

// logsFrom is FileTxnIterator.init: the last log starting at or before zxid
// and every later one, in order.
func logsFrom(logs []dataFile, zxid int64) []dataFile {
	start := 0
	for i, f := range logs {
		if f.zxid <= zxid {
			start = i
		}
	}
	return logs[start:]
}

func sortedKeys(s map[string]struct{}) []string {
	out := make([]string, 0, len(s))
	for k := range s {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
