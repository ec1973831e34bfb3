package refzk

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// A Server's process: starting it, waiting until it serves, signalling and
// restarting it.

// start runs the process and waits until it serves (the test fails if not).
func (s *Server) start() {
	s.t.Helper()
	s.startNoWait()
	if err := s.waitServing(30 * time.Second); err != nil {
		s.t.Logf("%s log:\n%s", s.Kind, s.Log())
		s.t.Fatalf("%s did not start: %v", s.Kind, err)
	}
}

// startNoWait starts the process without waiting for it to serve.
func (s *Server) startNoWait() {
	s.t.Helper()
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		s.t.Fatalf("%v", err)
	}
	cmd := exec.Command(s.argv[0], s.argv[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), s.env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start %s: %v", s.Kind, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); _ = logf.Close(); close(exited) }()
	s.mu.Lock()
	s.cmd, s.exited = cmd, exited
	s.mu.Unlock()
	s.t.Cleanup(s.Kill)
}

// FourLetter sends a four-letter word and returns the answer.
func FourLetter(addr, cmd string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(cmd)); err != nil {
		return "", err
	}
	b, err := io.ReadAll(bufio.NewReader(c))
	return string(b), err
}

func (s *Server) waitServing(d time.Duration) error {
	deadline := time.Now().Add(d)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return errors.New("process exited")
		default:
		}
		out, err := FourLetter(s.Addr, "srvr")
		if err == nil && strings.Contains(out, "Mode: ") {
			if s.SecureAddr == "" {
				return nil
			}
			// ZooKeeper opens the secure port after the plain one.
			var c net.Conn
			if c, err = net.DialTimeout("tcp", s.SecureAddr, time.Second); err == nil {
				c.Close()
				return nil
			}
		}
		last = err
		time.Sleep(50 * time.Millisecond) // polling interval while the process starts
	}
	return fmt.Errorf("timeout: %w", last)
}

// Log returns what the server wrote so far.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.logPath)
	return string(b)
}

// Pid is the process id of the running server (0 before it started).
func (s *Server) Pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Kill stops the process (SIGKILL to its group) and waits for it.
func (s *Server) Kill() { s.signal(syscall.SIGKILL) }

// Stop asks the process to exit (SIGTERM) and waits for it.
func (s *Server) Stop() { s.signal(syscall.SIGTERM) }

func (s *Server) signal(sig syscall.Signal) {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, sig) // the group may be gone already
	select {
	case <-exited:
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}
}

// Restart stops the process and starts it again with the same data.
func (s *Server) Restart() {
	s.Stop()
	s.start()
}

// Exited reports whether the server process has exited (a supervisor, like a
// kubelet, would start it again).
func (s *Server) Exited() bool {
	s.mu.Lock()
	ch := s.exited
	s.mu.Unlock()
	if ch == nil {
		return false
	}
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// ExitCode is the exit status of the server's last run, or -1 while it
// runs (or was ended by a signal).
func (s *Server) ExitCode() int {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.mu.Unlock()
	if cmd == nil || exited == nil {
		return -1
	}
	select {
	case <-exited:
		return cmd.ProcessState.ExitCode()
	default:
		return -1
	}
}

// StartAgain starts an exited server again with the same command line and
// data, without waiting for it to serve.
func (s *Server) StartAgain() { s.startNoWait() }
