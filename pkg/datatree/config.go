package datatree

import "github.com/zkensemble/zkensemble/pkg/wire"

// SetConfig replaces the data of /zookeeper/config at zxid, as ZooKeeper's
// reconfig does (version stays -1), and fires NodeDataChanged.
func (t *Tree) SetConfig(zxid, now int64, data []byte) wire.Stat {
	n := t.lookup(ConfigPath)
	t.dataSize += int64(len(data) - len(n.data))
	n.data = data
	n.stat.Mzxid = zxid
	n.stat.Mtime = now
	n.stat.Version = -1
	t.emit(pendingEvent{path: ConfigPath, kind: wire.OpSetData})
	return t.statOf(n)
}

// Config returns the data and stat of /zookeeper/config.
func (t *Tree) Config() ([]byte, wire.Stat) {
	n := t.lookup(ConfigPath)
	return n.data, t.statOf(n)
}
