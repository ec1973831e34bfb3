package zkclient

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/zkensemble/zkensemble/pkg/datatree"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// Stat is a znode's metadata.
type Stat = wire.Stat

// ACL is an access control entry.
type ACL = wire.ACL

// Create modes.
const (
	Persistent                  = wire.ModePersistent
	Ephemeral                   = wire.ModeEphemeral
	PersistentSequential        = wire.ModePersistentSequential
	EphemeralSequential         = wire.ModeEphemeralSequential
	Container                   = wire.ModeContainer
	PersistentWithTTL           = wire.ModePersistentWithTTL
	PersistentSequentialWithTTL = wire.ModePersistentSequentialWithTTL
)

// WorldACL grants perms to everyone.
func WorldACL(perms int32) []ACL {
	return []ACL{{Perms: perms, ID: wire.Id{Scheme: "world", ID: "anyone"}}}
}

// DigestACL grants perms to user:password.
func DigestACL(perms int32, user, password string) []ACL {
	return []ACL{{Perms: perms, ID: wire.Id{Scheme: "digest", ID: datatree.DigestID(user, password)}}}
}

// AuthACL grants perms to the identities the session has authenticated.
func AuthACL(perms int32) []ACL { return []ACL{{Perms: perms, ID: wire.Id{Scheme: "auth"}}} }

// CreateOptions are the less common create parameters.
type CreateOptions struct {
	TTL time.Duration // for PersistentWithTTL modes
}

func (c *Conn) checkPath(p string) error {
	if err := validatePath(p); err != nil {
		return fmt.Errorf("zkclient: invalid path %q: %w", p, err)
	}
	return nil
}

// Create creates a znode and returns its path (with the sequence suffix for
// sequential modes) and its stat. Containers and TTL nodes use their own
// opcodes, as the Java client does.
func (c *Conn) Create(ctx context.Context, path string, data []byte, mode int32, acl []ACL, opts ...CreateOptions) (string, Stat, error) {
	checked := path
	if wire.IsSequential(mode) {
		checked += "1" // a sequential path may end with "/"
	}
	if err := c.checkPath(checked); err != nil {
		return "", Stat{}, err
	}
	var o CreateOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	var resp wire.Create2Response
	var err error
	switch {
	case wire.IsTTL(mode):
		err = c.do(ctx, wire.OpCreateTTL, &wire.CreateTTLRequest{Path: c.serverPath(path), Data: data, ACL: acl, Flags: mode, TTL: o.TTL.Milliseconds()}, &resp, nil)
	case mode == Container:
		err = c.do(ctx, wire.OpCreateContainer, &wire.CreateRequest{Path: c.serverPath(path), Data: data, ACL: acl, Flags: mode}, &resp, nil)
	default:
		err = c.do(ctx, wire.OpCreate2, &wire.CreateRequest{Path: c.serverPath(path), Data: data, ACL: acl, Flags: mode}, &resp, nil)
	}
	if err != nil {
		return "", Stat{}, err
	}
	return c.stripChroot(resp.Path), resp.Stat, nil
}

// Delete deletes a znode; version -1 matches any.
func (c *Conn) Delete(ctx context.Context, path string, version int32) error {
	if err := c.checkPath(path); err != nil {
		return err
	}
	return c.do(ctx, wire.OpDelete, &wire.DeleteRequest{Path: c.serverPath(path), Version: version}, nil, nil)
}

// Exists returns the stat of a znode, or nil when it does not exist.
func (c *Conn) Exists(ctx context.Context, path string) (*Stat, error) {
	st, _, err := c.exists(ctx, path, false)
	return st, err
}

// ExistsW is Exists with a one-shot watch: the channel receives the next
// NodeCreated, NodeDeleted or NodeDataChanged of path.
func (c *Conn) ExistsW(ctx context.Context, path string) (*Stat, <-chan Event, error) {
	return c.exists(ctx, path, true)
}

func (c *Conn) exists(ctx context.Context, path string, watch bool) (*Stat, <-chan Event, error) {
	if err := c.checkPath(path); err != nil {
		return nil, nil, err
	}
	w := c.watchSpec(watchExist, path, watch)
	var resp wire.ExistsResponse
	err := c.do(ctx, wire.OpExists, &wire.PathWatchRequest{Path: c.serverPath(path), Watch: watch}, &resp, w)
	ch := w.channel()
	if errors.Is(err, wire.ErrNoNode) {
		return nil, ch, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return &resp.Stat, ch, nil
}

func (c *Conn) watchSpec(kind watchKind, path string, watch bool) *watchSpec {
	if !watch {
		return nil
	}
	return &watchSpec{kind: kind, serverPath: c.serverPath(path), clientPath: path, ch: make(chan Event, 1)}
}

func (w *watchSpec) channel() <-chan Event {
	if w == nil {
		return nil
	}
	return w.ch
}

// Get returns a znode's data and stat.
func (c *Conn) Get(ctx context.Context, path string) ([]byte, Stat, error) {
	data, st, _, err := c.get(ctx, path, false)
	return data, st, err
}

// GetW is Get with a one-shot data watch.
func (c *Conn) GetW(ctx context.Context, path string) ([]byte, Stat, <-chan Event, error) {
	return c.get(ctx, path, true)
}

func (c *Conn) get(ctx context.Context, path string, watch bool) ([]byte, Stat, <-chan Event, error) {
	if err := c.checkPath(path); err != nil {
		return nil, Stat{}, nil, err
	}
	w := c.watchSpec(watchData, path, watch)
	var resp wire.GetDataResponse
	if err := c.do(ctx, wire.OpGetData, &wire.PathWatchRequest{Path: c.serverPath(path), Watch: watch}, &resp, w); err != nil {
		return nil, Stat{}, nil, err
	}
	return resp.Data, resp.Stat, w.channel(), nil
}

// Set replaces a znode's data; version -1 matches any.
func (c *Conn) Set(ctx context.Context, path string, data []byte, version int32) (Stat, error) {
	if err := c.checkPath(path); err != nil {
		return Stat{}, err
	}
	var resp wire.SetDataResponse
	err := c.do(ctx, wire.OpSetData, &wire.SetDataRequest{Path: c.serverPath(path), Data: data, Version: version}, &resp, nil)
	return resp.Stat, err
}

// Children returns a znode's children (unordered, as the server sends them) and its stat.
func (c *Conn) Children(ctx context.Context, path string) ([]string, Stat, error) {
	ch, st, _, err := c.children(ctx, path, false)
	return ch, st, err
}

// ChildrenW is Children with a one-shot child watch.
func (c *Conn) ChildrenW(ctx context.Context, path string) ([]string, Stat, <-chan Event, error) {
	return c.children(ctx, path, true)
}

func (c *Conn) children(ctx context.Context, path string, watch bool) ([]string, Stat, <-chan Event, error) {
	if err := c.checkPath(path); err != nil {
		return nil, Stat{}, nil, err
	}
	w := c.watchSpec(watchChild, path, watch)
	var resp wire.GetChildren2Response
	if err := c.do(ctx, wire.OpGetChildren2, &wire.PathWatchRequest{Path: c.serverPath(path), Watch: watch}, &resp, w); err != nil {
		return nil, Stat{}, nil, err
	}
	return resp.Children, resp.Stat, w.channel(), nil
}

// GetACL returns a znode's ACL and stat.
func (c *Conn) GetACL(ctx context.Context, path string) ([]ACL, Stat, error) {
	if err := c.checkPath(path); err != nil {
		return nil, Stat{}, err
	}
	var resp wire.GetACLResponse
	err := c.do(ctx, wire.OpGetACL, &wire.PathRequest{Path: c.serverPath(path)}, &resp, nil)
	return resp.ACL, resp.Stat, err
}

// SetACL replaces a znode's ACL; version (the ACL version) -1 matches any.
func (c *Conn) SetACL(ctx context.Context, path string, acl []ACL, version int32) (Stat, error) {
	if err := c.checkPath(path); err != nil {
		return Stat{}, err
	}
	var resp wire.SetACLResponse
	err := c.do(ctx, wire.OpSetACL, &wire.SetACLRequest{Path: c.serverPath(path), ACL: acl, Version: version}, &resp, nil)
	return resp.Stat, err
}

// Sync makes the connected server catch up with the leader before later reads.
func (c *Conn) Sync(ctx context.Context, path string) error {
	if err := c.checkPath(path); err != nil {
		return err
	}
	var resp wire.SyncResponse
	return c.do(ctx, wire.OpSync, &wire.PathRequest{Path: c.serverPath(path)}, &resp, nil)
}

// AllChildrenNumber counts every descendant of path.
func (c *Conn) AllChildrenNumber(ctx context.Context, path string) (int, error) {
	if err := c.checkPath(path); err != nil {
		return 0, err
	}
	var resp wire.GetAllChildrenNumberResponse
	err := c.do(ctx, wire.OpGetAllChildrenNumber, &wire.PathRequest{Path: c.serverPath(path)}, &resp, nil)
	return int(resp.TotalNumber), err
}

// Ephemerals lists this session's ephemeral nodes under prefix ("/" for all),
// relative to the chroot.
func (c *Conn) Ephemerals(ctx context.Context, prefix string) ([]string, error) {
	var resp wire.GetEphemeralsResponse
	if err := c.do(ctx, wire.OpGetEphemerals, &wire.PathRequest{Path: c.serverPath(prefix)}, &resp, nil); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(resp.Ephemerals))
	for _, p := range resp.Ephemerals {
		if c.chroot == "" || strings.HasPrefix(p, c.chroot) {
			out = append(out, c.stripChroot(p))
		}
	}
	return out, nil
}

// WhoAmI returns the identities the server has for this session.
func (c *Conn) WhoAmI(ctx context.Context) ([]wire.ClientInfo, error) {
	var resp wire.WhoAmIResponse
	err := c.do(ctx, wire.OpWhoAmI, nil, &resp, nil)
	return resp.ClientInfo, err
}

// AddWatch sets a persistent watch on path; recursive extends it to every
// descendant (without NodeChildrenChanged). It is restored after reconnects.
func (c *Conn) AddWatch(ctx context.Context, path string, recursive bool) (*PersistentWatch, error) {
	if err := c.checkPath(path); err != nil {
		return nil, err
	}
	mode := wire.AddWatchPersistent
	if recursive {
		mode = wire.AddWatchPersistentRecursive
	}
	var resp wire.ErrorResponse
	if err := c.do(ctx, wire.OpAddWatch, &wire.AddWatchRequest{Path: c.serverPath(path), Mode: mode}, &resp, nil); err != nil {
		return nil, err
	}
	w := &PersistentWatch{Path: path, Recursive: recursive, q: newQueue()}
	c.watches.addPersistent(c.serverPath(path), w)
	return w, nil
}

// RemoveWatches removes this session's watches of a type on path (wire.WatcherAny, ...).
func (c *Conn) RemoveWatches(ctx context.Context, path string, watcherType int32) error {
	if err := c.do(ctx, wire.OpRemoveWatches, &wire.WatchesRequest{Path: c.serverPath(path), Type: watcherType}, nil, nil); err != nil {
		return err
	}
	c.watches.removeLocal(c.serverPath(path), watcherType)
	return nil
}

// CheckWatches reports (nil error) whether the server has a watch of that type on path.
func (c *Conn) CheckWatches(ctx context.Context, path string, watcherType int32) error {
	return c.do(ctx, wire.OpCheckWatches, &wire.WatchesRequest{Path: c.serverPath(path), Type: watcherType}, nil, nil)
}

// GetConfig reads /zookeeper/config; it ignores the chroot, as ZooKeeper's getConfig.
func (c *Conn) GetConfig(ctx context.Context) ([]byte, Stat, <-chan Event, error) {
	w := &watchSpec{kind: watchData, serverPath: datatree.ConfigPath, clientPath: datatree.ConfigPath, ch: make(chan Event, 1)}
	var resp wire.GetDataResponse
	if err := c.do(ctx, wire.OpGetData, &wire.PathWatchRequest{Path: datatree.ConfigPath, Watch: true}, &resp, w); err != nil {
		return nil, Stat{}, nil, err
	}
	return resp.Data, resp.Stat, w.ch, nil
}

// Reconfig changes the ensemble: incremental (joining "server.N=..." specs,
// leaving ids) or, with members, a whole new configuration. fromConfig is the
// expected current version (-1: any). It returns the new configuration.
func (c *Conn) Reconfig(ctx context.Context, joining, leaving, members []string, fromConfig int64) ([]byte, Stat, error) {
	req := &wire.ReconfigRequest{JoiningServers: strings.Join(joining, ","), LeavingServers: strings.Join(leaving, ","),
		NewMembers: strings.Join(members, ","), CurConfigID: fromConfig}
	var resp wire.GetDataResponse
	err := c.do(ctx, wire.OpReconfig, req, &resp, nil)
	return resp.Data, resp.Stat, err
}
