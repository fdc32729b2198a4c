package eio

import (
	"context"
	"net"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"
)

// heapSampler records the peak of the live heap while it runs.
type heapSampler struct {
	peak atomic.Uint64
	stop chan struct{}
	done chan struct{}
}

func sampleHeap(every time.Duration) *heapSampler {
	h := &heapSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > h.peak.Load() {
				h.peak.Store(ms.HeapInuse)
			}
			select {
			case <-h.stop:
				return
			case <-time.After(every):
			}
		}
	}()
	return h
}

func (h *heapSampler) Stop() uint64 {
	close(h.stop)
	<-h.done
	return h.peak.Load()
}

func heapInuse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// TestSlowConsumerWebSocket: a client that never reads while the server
// sends about 50 MB is disconnected once its unsent output passes
// MaxOutboundBytes, and the server's memory stays bounded meanwhile. Not
// parallel: it measures the heap.
func TestSlowConsumerWebSocket(t *testing.T) {
	const (
		msgSize  = 64 << 10
		total    = 50 << 20
		maxOut   = 4 << 20
		memSlack = 24 << 20
	)
	ts := startServer(t, Config{}, ReactorConfig{MaxOutboundBytes: maxOut})
	// A client with a small receive buffer that reads the handshake, then
	// nothing.
	d := ws.Dialer{
		Timeout: waitTimeout,
		NetDial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err == nil {
				_ = c.(*net.TCPConn).SetReadBuffer(16 << 10)
			}
			return c, err
		},
	}
	c, err := ts.dialWSWith(d, ts.wsURL("transport=websocket"))
	if err != nil {
		t.Fatal(err)
	}
	parseOpen(t, c.readText())
	s := ts.h.waitOpen(t)
	before := ts.r.SlowConsumers()

	base := heapInuse()
	sampler := sampleHeap(time.Millisecond)
	m := NewBinaryMessage(make([]byte, msgSize)) // one Message, sent many times
	sent := 0
	for sent < total && !s.Closed() {
		s.Send(m)
		sent += msgSize
		if sent%(256<<10) == 0 {
			time.Sleep(time.Millisecond) // let the loop run between bursts
		}
	}
	ts.h.expectClosed(t, s) // reason and error: see TestBug_WebSocketCloseReason
	peak := sampler.Stop()
	if got := ts.r.SlowConsumers(); got != before+1 {
		t.Fatalf("SlowConsumers %d, want %d", got, before+1)
	}
	waitFor(t, func() bool { return ts.r.ConnCount() == 0 }, "the connection to close")
	growth := int64(peak) - int64(base)
	t.Logf("sent %d MB before the close; heap peak %+d MB over the start", sent>>20, growth>>20)
	if growth > memSlack {
		t.Fatalf("heap grew by %d MB while a slow consumer was fed; MaxOutboundBytes is %d MB", growth>>20, maxOut>>20)
	}
	// The client gets its bytes up to the cut, then EOF.
	_ = c.conn.SetReadDeadline(time.Now().Add(waitTimeout))
	buf := make([]byte, 1<<20)
	var n int64
	for {
		k, err := c.r.Read(buf)
		n += int64(k)
		if err != nil {
			break
		}
	}
	if n > int64(sent)+(1<<20) {
		t.Fatalf("client read %d bytes, more than sent", n)
	}
}
