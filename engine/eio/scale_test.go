package eio

import (
	"bufio"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"
)

// dialBareWS opens a WebSocket session with a plain net.Conn and a
// synchronous handshake, spawning no goroutine, and leaves the open packet
// unread.
func dialBareWS(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, waitTimeout)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	_ = c.SetDeadline(time.Now().Add(waitTimeout))
	if _, err := io.WriteString(c, "GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"+
		"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"); err != nil {
		t.Fatalf("write: %v", err)
	}
	br := bufio.NewReaderSize(c, 256)
	line, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 101 ") {
		t.Fatalf("handshake: %q %v", line, err)
	}
	return c
}

// TestGoroutinesDoNotGrowWithConnections opens 2,000 WebSocket sessions and
// checks that the server runs them on its fixed set of event loops: the
// number of goroutines does not grow with the number of connections. Not
// parallel: it counts the process's goroutines.
func TestGoroutinesDoNotGrowWithConnections(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 2,000 connections")
	}
	bgShutdowns.Wait() // let earlier tests' reactors finish stopping
	ts := startServer(t, Config{}, ReactorConfig{Loops: 4})
	var conns []net.Conn
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	open := func(n int) {
		for len(conns) < n {
			conns = append(conns, dialBareWS(t, ts.addr))
		}
		waitFor(t, func() bool { return ts.srv.SessionCount() == int64(n) }, "sessions to open")
	}
	settle := func() int {
		runtime.GC()
		time.Sleep(50 * time.Millisecond)
		return runtime.NumGoroutine()
	}
	open(100)
	at100 := settle()
	open(2000)
	at2000 := settle()
	t.Logf("goroutines: %d with 100 sessions, %d with 2000", at100, at2000)
	if at2000-at100 >= 50 {
		t.Fatalf("goroutines grew by %d from 100 to 2000 connections", at2000-at100)
	}
	if got := ts.r.ConnCount(); got != 2000 {
		t.Fatalf("ConnCount %d", got)
	}
	// Every session is live: a sample answers.
	for _, i := range []int{0, 999, 1999} {
		c := conns[i]
		_ = c.SetDeadline(time.Now().Add(waitTimeout))
		if _, err := c.Write(maskedText("4ping")); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		ts.h.expectMsg(t, "ping", false)
	}
}

// maskedText is a masked client text frame (mask zero) carrying s.
func maskedText(s string) []byte {
	return append([]byte{0x81, 0x80 | byte(len(s)), 0, 0, 0, 0}, s...)
}
