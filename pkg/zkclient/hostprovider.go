package zkclient

import (
	"math/rand/v2"
	"slices"
)

// HostProvider is ZooKeeper's StaticHostProvider: a shuffled list of servers
// used as a ring, and updateServerList's probabilistic rebalancing. It is not
// safe for concurrent use; Conn serialises access.
type HostProvider struct {
	rnd          *rand.Rand
	servers      []string
	lastIndex    int
	currentIndex int

	reconfigMode           bool
	oldServers, newServers []string
	currentOld, currentNew int
	pOld, pNew             float64
}

// NewHostProvider shuffles servers with rnd (nil: a random seed).
func NewHostProvider(servers []string, rnd *rand.Rand) *HostProvider {
	if rnd == nil {
		rnd = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	h := &HostProvider{rnd: rnd, lastIndex: -1, currentIndex: -1, currentOld: -1, currentNew: -1}
	h.servers = h.shuffle(servers)
	return h
}

func (h *HostProvider) shuffle(s []string) []string {
	out := slices.Clone(s)
	h.rnd.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// Size is the number of servers.
func (h *HostProvider) Size() int { return len(h.servers) }

// Servers returns the current list in ring order.
func (h *HostProvider) Servers() []string { return slices.Clone(h.servers) }

// Next returns the server to try next, and whether the caller should back
// off first because every server has been tried since the last success.
func (h *HostProvider) Next() (addr string, backOff bool) {
	if h.reconfigMode {
		if a := h.nextInReconfigMode(); a != "" {
			h.currentIndex = slices.Index(h.servers, a)
			return a, false
		}
		// Every candidate was tried: back to the plain ring.
		h.reconfigMode = false
		backOff = true
	}
	h.currentIndex++
	if h.currentIndex == len(h.servers) {
		h.currentIndex = 0
	}
	backOff = backOff || h.currentIndex == h.lastIndex
	if h.lastIndex == -1 {
		h.lastIndex = 0 // no back-off during the very first round
	}
	return h.servers[h.currentIndex], backOff
}

func (h *HostProvider) nextInReconfigMode() string {
	takeNew := h.rnd.Float64() <= h.pNew
	if h.currentNew+1 < len(h.newServers) && (takeNew || h.currentOld+1 >= len(h.oldServers)) {
		h.currentNew++
		return h.newServers[h.currentNew]
	}
	if h.currentOld+1 < len(h.oldServers) {
		h.currentOld++
		return h.oldServers[h.currentOld]
	}
	return ""
}

// OnConnected records a successful connection to the current server.
func (h *HostProvider) OnConnected() {
	h.lastIndex = h.currentIndex
	h.reconfigMode = false
}

// Current is the server most recently returned by Next, or "".
func (h *HostProvider) Current() string {
	if h.currentIndex < 0 || h.currentIndex >= len(h.servers) {
		return ""
	}
	return h.servers[h.currentIndex]
}

// UpdateServerList replaces the list and decides, with ZooKeeper's rule,
// whether this client must move (ZOOKEEPER-1355): growing from M to N servers
// a client whose server remains moves with probability 1-M/N to one of the new
// servers; shrinking, only clients whose server was removed move, choosing
// old or new servers with the probabilities that leave every server 1/N of
// the clients. It reports whether the client must reconnect (reconfig mode).
func (h *HostProvider) UpdateServerList(servers []string, current string) bool {
	shuffled := h.shuffle(servers)
	myServerInNew := current != "" && slices.Contains(shuffled, current)
	h.oldServers, h.newServers = nil, nil
	for _, s := range shuffled {
		if slices.Contains(h.servers, s) {
			h.oldServers = append(h.oldServers, s)
		} else {
			h.newServers = append(h.newServers, s)
		}
	}
	m, n, numOld := float64(len(h.servers)), float64(len(shuffled)), float64(len(h.oldServers))
	h.reconfigMode = true
	if n > m {
		if myServerInNew {
			if h.rnd.Float64() <= 1-m/n {
				h.pNew, h.pOld = 1, 0
			} else {
				h.reconfigMode = false
			}
		} else {
			h.pNew, h.pOld = 1, 0
		}
	} else {
		if myServerInNew {
			h.reconfigMode = false
		} else {
			h.pOld = numOld * (m - n) / (n * (m - numOld))
			h.pNew = 1 - h.pOld
		}
	}
	if h.reconfigMode {
		h.currentIndex = -1
	} else {
		h.currentIndex = slices.Index(shuffled, current)
	}
	h.servers = shuffled
	h.currentOld, h.currentNew = -1, -1
	h.lastIndex = h.currentIndex
	return h.reconfigMode
}
