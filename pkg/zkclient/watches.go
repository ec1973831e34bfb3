package zkclient

import (
	"slices"
	"strings"
	"sync"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

type watchKind int

const (
	watchData watchKind = iota
	watchExist
	watchChild
)

// watchSpec is a watch to register once its request succeeds.
type watchSpec struct {
	kind       watchKind
	serverPath string
	clientPath string
	ch         chan Event
}

// PersistentWatch receives every event of a persistent (or recursive) watch
// until it is removed or the session ends (then Events is closed).
type PersistentWatch struct {
	Path      string
	Recursive bool
	q         *queue
}

// Events delivers the watch's events in order.
func (w *PersistentWatch) Events() <-chan Event { return w.q.out }

// watchRegistry is the client side of watches: what to notify for a server
// event, and what to restore with setWatches after a reconnect. Keys are
// server paths (chroot included).
type watchRegistry struct {
	mu         sync.Mutex
	oneShot    [3]map[string][]*watchSpec
	persistent map[string][]*PersistentWatch
	recursive  map[string][]*PersistentWatch
}

func (r *watchRegistry) init() {
	for i := range r.oneShot {
		r.oneShot[i] = map[string][]*watchSpec{}
	}
	r.persistent = map[string][]*PersistentWatch{}
	r.recursive = map[string][]*PersistentWatch{}
}

// register records a one-shot watch after its reply: like the Java client,
// exists on a missing node becomes an exist watch, and failed reads set none.
func (r *watchRegistry) register(w *watchSpec, code wire.ErrCode) {
	kind := w.kind
	switch {
	case code == wire.ErrOK && kind == watchExist:
		kind = watchData
	case code == wire.ErrNoNode && kind == watchExist:
	case code != wire.ErrOK:
		return
	}
	r.mu.Lock()
	r.oneShot[kind][w.serverPath] = append(r.oneShot[kind][w.serverPath], w)
	r.mu.Unlock()
}

func (r *watchRegistry) addPersistent(serverPath string, w *PersistentWatch) {
	r.mu.Lock()
	if w.Recursive {
		r.recursive[serverPath] = append(r.recursive[serverPath], w)
	} else {
		r.persistent[serverPath] = append(r.persistent[serverPath], w)
	}
	r.mu.Unlock()
}

// dispatch delivers a notification (ZKWatchManager.materialize).
func (r *watchRegistry) dispatch(ev wire.WatcherEvent, clientPath string) {
	out := Event{Type: ev.Type, State: StateConnected, Path: clientPath}
	r.mu.Lock()
	var fire []*watchSpec
	take := func(k watchKind) {
		fire = append(fire, r.oneShot[k][ev.Path]...)
		delete(r.oneShot[k], ev.Path)
	}
	switch ev.Type {
	case wire.EventNodeCreated, wire.EventNodeDataChanged:
		take(watchData)
		take(watchExist)
	case wire.EventNodeChildrenChanged:
		take(watchChild)
	case wire.EventNodeDeleted:
		take(watchData)
		take(watchExist)
		take(watchChild)
	}
	var queues []*queue
	for _, w := range r.persistent[ev.Path] {
		queues = append(queues, w.q)
	}
	if ev.Type != wire.EventNodeChildrenChanged {
		for p := ev.Path; ; p = parent(p) {
			for _, w := range r.recursive[p] {
				queues = append(queues, w.q)
			}
			if p == "/" {
				break
			}
		}
	}
	r.mu.Unlock()
	for _, w := range fire {
		select {
		case w.ch <- out:
		default:
		}
	}
	for _, q := range queues {
		q.push(out)
	}
}

func parent(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

// restoreRequests builds the setWatches requests that re-register every watch
// after a reconnect, in batches under 128 KB like the Java client.
func (r *watchRegistry) restoreRequests(relZxid int64, chroot string) []*request {
	r.mu.Lock()
	defer r.mu.Unlock()
	keys := func(m map[string][]*watchSpec) []string {
		out := make([]string, 0, len(m))
		for k := range m {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	pkeys := func(m map[string][]*PersistentWatch) []string {
		out := make([]string, 0, len(m))
		for k := range m {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	lists := [5][]string{keys(r.oneShot[watchData]), keys(r.oneShot[watchExist]), keys(r.oneShot[watchChild]), pkeys(r.persistent), pkeys(r.recursive)}
	total := 0
	for _, l := range lists {
		total += len(l)
	}
	if total == 0 {
		return nil
	}
	usePersistent := len(lists[3])+len(lists[4]) > 0
	const maxBatch = 128 * 1024
	var reqs []*request
	var batch [5][]string
	size := 0
	flush := func() {
		var rec wire.Record
		op := wire.OpSetWatches
		if usePersistent {
			op = wire.OpSetWatches2
			rec = &wire.SetWatches2{RelativeZxid: relZxid, DataWatches: nonNil(batch[0]), ExistWatches: nonNil(batch[1]),
				ChildWatches: nonNil(batch[2]), PersistentWatches: nonNil(batch[3]), PersistentRecursiveWatches: nonNil(batch[4])}
		} else {
			rec = &wire.SetWatches{RelativeZxid: relZxid, DataWatches: nonNil(batch[0]), ExistWatches: nonNil(batch[1]), ChildWatches: nonNil(batch[2])}
		}
		reqs = append(reqs, &request{op: op, req: rec, done: make(chan struct{})})
		batch = [5][]string{}
		size = 0
	}
	for i, l := range lists {
		for _, p := range l {
			if size+len(p)+4 > maxBatch && size > 0 {
				flush()
			}
			batch[i] = append(batch[i], p)
			size += len(p) + 4
		}
	}
	flush()
	return reqs
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// endAll tells every watch that the session ended.
func (r *watchRegistry) endAll(s State, err error) {
	r.mu.Lock()
	var fire []*watchSpec
	for i := range r.oneShot {
		for _, ws := range r.oneShot[i] {
			fire = append(fire, ws...)
		}
		r.oneShot[i] = map[string][]*watchSpec{}
	}
	var queues []*queue
	for _, m := range []map[string][]*PersistentWatch{r.persistent, r.recursive} {
		for _, ws := range m {
			for _, w := range ws {
				queues = append(queues, w.q)
			}
		}
	}
	r.persistent, r.recursive = map[string][]*PersistentWatch{}, map[string][]*PersistentWatch{}
	r.mu.Unlock()
	for _, w := range fire {
		select {
		case w.ch <- Event{Type: EventSession, State: s, Path: w.clientPath, Err: err}:
		default:
		}
	}
	for _, q := range queues {
		q.push(Event{Type: EventSession, State: s, Err: err})
		q.close()
	}
}

// removeLocal drops local registrations matching a removeWatches request.
func (r *watchRegistry) removeLocal(serverPath string, typ int32) {
	r.mu.Lock()
	var queues []*queue
	if typ == wire.WatcherChildren || typ == wire.WatcherAny {
		delete(r.oneShot[watchChild], serverPath)
	}
	if typ == wire.WatcherData || typ == wire.WatcherAny {
		delete(r.oneShot[watchData], serverPath)
		delete(r.oneShot[watchExist], serverPath)
	}
	if typ == wire.WatcherAny || typ == wire.WatcherPersistent || typ == wire.WatcherPersistentRecursive {
		for _, m := range []map[string][]*PersistentWatch{r.persistent, r.recursive} {
			for _, w := range m[serverPath] {
				queues = append(queues, w.q)
			}
			delete(m, serverPath)
		}
	}
	r.mu.Unlock()
	for _, q := range queues {
		q.push(Event{Type: wire.EventPersistentWatchRemoved, State: StateConnected})
		q.close()
	}
}
