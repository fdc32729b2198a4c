package backend

import (
	"context"
	"encoding/json"
	"net"
	"testing"

	"github.com/valyala/fasthttp"
)

// fastServer is a loopback fasthttp server answering {"ok":true}, so that
// the benchmark measures the Forwarder rather than the server.
func fastServer(b *testing.B) string {
	b.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: func(c *fasthttp.RequestCtx) {
		c.SetContentType("application/json")
		c.SetBodyString(`{"ok":true}`)
	}}
	go srv.Serve(l)
	b.Cleanup(func() { srv.Shutdown() })
	return "http://" + l.Addr().String() + "/events"
}

var benchEvent = Event{
	SocketID:  "hT3kV9sQbZ1xLmN0AAAB",
	UserID:    "user-123456",
	Namespace: "/chat",
	Name:      "chat:message",
	Args:      json.RawMessage(`[{"room":"lobby","text":"hello, world","ts":1718000000000}]`),
	WantsAck:  true,
}

func BenchmarkForward(b *testing.B) {
	f, err := NewForwarder(ForwarderConfig{URL: fastServer(b)})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := f.Forward(ctx, benchEvent); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := f.Forward(ctx, benchEvent); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

func BenchmarkEncodeEvent(b *testing.B) {
	withBinary := benchEvent
	withBinary.Args = json.RawMessage(`[{"name":"a.png","data":{"_placeholder":true,"num":0}}]`)
	withBinary.Attachments = [][]byte{make([]byte, 1024)}
	escaped := benchEvent
	escaped.Name = "message \"quoted\" \u2028 ünïcödé"
	for _, c := range []struct {
		name string
		ev   Event
	}{{"plain", benchEvent}, {"attachment", withBinary}, {"escaped", escaped}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			buf := appendEvent(nil, &c.ev)
			b.SetBytes(int64(len(buf)))
			for b.Loop() {
				buf = appendEvent(buf[:0], &c.ev)
			}
		})
	}
}

func BenchmarkDecodeGrant(b *testing.B) {
	body := []byte(`{"user_id":"u1","rooms":["user:u1"],"join":["lobby"],"publish":["lobby"],"data":{"plan":"pro"}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeGrant(body); err != nil {
			b.Fatal(err)
		}
	}
}
