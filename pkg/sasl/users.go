package sasl

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/zkensemble/zkensemble/pkg/reloadfile"
)

// DirUsers reads users from a directory: each file's name is a user, its
// content the password (a trailing newline is dropped). A mounted Kubernetes
// Secret has this shape; the file is read at every authentication, so a
// changed Secret takes effect at once.
type DirUsers struct{ Dir string }

// Password implements Users.
func (u DirUsers) Password(user string) (string, bool, error) {
	if !validFileUser(user) {
		return "", false, nil
	}
	b, err := os.ReadFile(filepath.Join(u.Dir, user))
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return strings.TrimRight(string(b), "\r\n"), true, nil
}

// Check reads the directory once, so a wrong path shows at start.
func (u DirUsers) Check() error {
	st, err := os.Stat(u.Dir)
	if err != nil {
		return fmt.Errorf("sasl.usersDir: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("sasl.usersDir: %s is not a directory", u.Dir)
	}
	return nil
}

// validFileUser keeps a user name from naming anything but a file of the
// directory: no path separators, no hidden files (a Secret volume's ..data).
func validFileUser(user string) bool {
	return user != "" && !strings.ContainsAny(user, "/\\\x00") && !strings.HasPrefix(user, ".")
}

// JAASUsers reads users from a JAAS login configuration file's section
// (ZooKeeper's "Server"): the options user_<name>="<password>" of its
// login modules, as ZooKeeper's SaslServerCallbackHandler reads them. The
// file is parsed again when it changes.
type JAASUsers struct {
	Path    string
	Section string // "Server" when empty

	once sync.Once
	f    *reloadfile.File[map[string]string]
}

// Password implements Users.
func (j *JAASUsers) Password(user string) (string, bool, error) {
	users, err := j.load()
	if err != nil {
		return "", false, err
	}
	pw, ok := users[user]
	return pw, ok, nil
}

// Check parses the file once, so a mistake shows at start.
func (j *JAASUsers) Check() error {
	_, err := j.load()
	return err
}

func (j *JAASUsers) load() (map[string]string, error) {
	j.once.Do(func() {
		section := j.Section
		if section == "" {
			section = "Server"
		}
		j.f = reloadfile.New(j.Path, func(raw []byte) (map[string]string, error) {
			users, err := ParseJAAS(raw, section)
			if err != nil {
				return nil, fmt.Errorf("jaasLoginConfig %s: %w", j.Path, err)
			}
			return users, nil
		})
	})
	users, err := j.f.Get()
	if err != nil && !strings.HasPrefix(err.Error(), "jaasLoginConfig") {
		err = fmt.Errorf("jaasLoginConfig: %w", err)
	}
	return users, err
}
