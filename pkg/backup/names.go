package backup

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// timeLayout is the UTC time in backup names: sortable, no colons.
const timeLayout = "20060102T150405Z"

// Name is the object name of a backup of ensemble taken at t with zxid:
// <ensemble>-<UTC time>-<zxid as 16 hex digits>.
func Name(ensemble string, t time.Time, zxid Zxid) string {
	return fmt.Sprintf("%s-%s-%016x", ensemble, t.UTC().Format(timeLayout), uint64(zxid))
}

// Info is what a backup's name says.
type Info struct {
	Name     string
	Ensemble string
	Time     time.Time
	Zxid     Zxid
	// Size is the object's size (from the store's listing).
	Size int64
}

// ParseName reads a backup's name; ok is false for any other object.
func ParseName(name string) (Info, bool) {
	i := strings.LastIndexByte(name, '-')
	if i < 0 || len(name)-i-1 != 16 {
		return Info{}, false
	}
	zxid, err := ParseZxid(name[i+1:])
	if err != nil {
		return Info{}, false
	}
	rest := name[:i]
	j := strings.LastIndexByte(rest, '-')
	if j <= 0 {
		return Info{}, false
	}
	t, err := time.Parse(timeLayout, rest[j+1:])
	if err != nil {
		return Info{}, false
	}
	return Info{Name: name, Ensemble: rest[:j], Time: t, Zxid: zxid}, true
}

var errEmptyEnsemble = errors.New("backup: retention needs the ensemble's id")
