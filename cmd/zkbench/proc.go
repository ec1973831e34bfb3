package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat
// (100 on every Linux build this runs on).
const clockTicks = 100

// procCPU returns the user+system CPU time a process used so far.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	return time.Duration(ut+st) * time.Second / clockTicks, nil
}

// procRSS returns a process's resident memory (VmRSS) in bytes.
func procRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", pid)
}

// selfCPU is the CPU time this process (the load generator) used so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuMeter measures the CPU share (in % of one core) of the load generator
// and of a set of server processes over a wall-clock window.
type cpuMeter struct {
	pids       []int
	start      time.Time
	self       time.Duration
	serverBase time.Duration
	totalBase  time.Duration
}

func startCPU(pids []int) *cpuMeter {
	m := &cpuMeter{pids: pids, start: time.Now(), self: selfCPU(), totalBase: machineBusy()}
	m.serverBase = m.serverCPU()
	return m
}

// machineBusy is the CPU time all processes used so far (/proc/stat: user,
// nice, system, irq, softirq, steal of every CPU).
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	var sum int64
	for i, v := range f {
		if i == 0 || i == 4 || i == 5 || i > 8 { // skip the label, idle, iowait, guest
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		sum += n
	}
	return time.Duration(sum) * time.Second / clockTicks
}

func (m *cpuMeter) serverCPU() time.Duration {
	var sum time.Duration
	for _, p := range m.pids {
		if d, err := procCPU(p); err == nil {
			sum += d
		}
	}
	return sum
}

// stop returns the CPU shares since start of the servers, the load
// generator, and every other process on the machine (noise from outside
// the benchmark).
func (m *cpuMeter) stop() (server, client, other float64) {
	wall := time.Since(m.start).Seconds()
	if wall <= 0 {
		return 0, 0, 0
	}
	server = 100 * (m.serverCPU() - m.serverBase).Seconds() / wall
	client = 100 * (selfCPU() - m.self).Seconds() / wall
	total := 100 * (machineBusy() - m.totalBase).Seconds() / wall
	other = max(0, total-server-client)
	return server, client, other
}

// pinSelf binds every thread of this process to cpu; threads started later
// inherit the mask from the thread that creates them.
func pinSelf(cpu int) error {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return err
	}
	var mask [16]uint64
	mask[cpu/64] = 1 << uint(cpu%64)
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, uintptr(tid), unsafe.Sizeof(mask), uintptr(unsafe.Pointer(&mask)))
		if e != 0 {
			return fmt.Errorf("sched_setaffinity(%d): %w", tid, e)
		}
	}
	return nil
}

// raiseNofile lifts RLIMIT_NOFILE as far as allowed (servers started later
// inherit it) and returns the new soft limit.
func raiseNofile() uint64 {
	var lim syscall.Rlimit
	_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) // on failure lim stays zero
	for _, want := range []uint64{1 << 20, 1 << 19, 300000, lim.Max} {
		if want < lim.Cur {
			continue
		}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: want, Max: max(want, lim.Max)}); err == nil {
			return want
		}
	}
	_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) // on failure lim stays zero
	return lim.Cur
}

// Loopback source addresses: one source IP gives about 28k ephemeral ports
// towards one server address, so connections rotate over 127.0.0.2-.17.
var (
	sourceIPs = func() []net.IP {
		var ips []net.IP
		for i := 2; i <= 17; i++ {
			ips = append(ips, net.IPv4(127, 0, 0, byte(i)))
		}
		return ips
	}()
	sourceNext atomic.Uint64
)

// dial opens a TCP connection from the next loopback source address.
func dial(addr string, timeout time.Duration) (net.Conn, error) {
	ip := sourceIPs[sourceNext.Add(1)%uint64(len(sourceIPs))]
	d := net.Dialer{Timeout: timeout, LocalAddr: &net.TCPAddr{IP: ip}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	return c, nil
}

// zkDial is dial in go-zookeeper's Dialer shape.
// A tls:// address gets a TLS handshake.
func zkDial(_, addr string, timeout time.Duration) (net.Conn, error) {
	return dialTarget(addr, timeout)
}
