package transport

import "net"

// SetDrop installs a fault injector: frames for which it returns true are
// dropped, in either direction (tests partition members with it).
func (t *Transport) SetDrop(f func(from, to uint64) bool) {
	t.mu.Lock()
	t.drop = f
	t.mu.Unlock()
}

func (t *Transport) dropped(from, to uint64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.drop != nil && t.drop(from, to)
}

// ResetStreams closes every stream, inbound and outbound, as a network
// fault would; the members dial again (with the certificates on disk now).
func (t *Transport) ResetStreams() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for c := range t.inbound {
		c.Close()
	}
	for _, p := range t.peers {
		select {
		case p.kick <- struct{}{}:
		default:
		}
	}
}

func (t *Transport) track(c net.Conn, on bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if on {
		t.inbound[c] = struct{}{}
	} else {
		delete(t.inbound, c)
	}
}
