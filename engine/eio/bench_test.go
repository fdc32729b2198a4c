package eio

import (
	"bytes"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/heraldrt/herald/protocol/engineio"
)

// echoHandler sends every message back to its session from the loop.
type echoHandler struct{}

func (echoHandler) OnOpen(*Session) {}

func (echoHandler) OnMessage(s *Session, data []byte, binary bool) {
	if binary {
		s.Deliver(s.Loop(), NewBinaryMessage(data))
		return
	}
	s.Deliver(s.Loop(), NewTextMessage(data))
}

func (echoHandler) OnClose(*Session, string, error) {}

// BenchmarkWebSocketEcho measures one message in and one out through a
// real reactor: frame parsing in place, the session, the handler, the
// Message and the flush. Allocations include the client side's.
func BenchmarkWebSocketEcho(b *testing.B) {
	ts := startServer(b, Config{Handler: echoHandler{}}, ReactorConfig{Loops: 1})
	c, _, _ := ts.openWS()
	msg := []byte("4" + string(bytes.Repeat([]byte("x"), 64)))
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		c.writeFrame(ws.OpText, true, msg, false)
		if h, p := c.readFrame(); h.OpCode != ws.OpText || len(p) != len(msg) {
			b.Fatalf("echo: opcode %v, %d bytes", h.OpCode, len(p))
		}
	}
}

// BenchmarkNewTextMessage is the cost of encoding one outgoing message,
// paid once per broadcast whatever the number of recipients.
func BenchmarkNewTextMessage(b *testing.B) {
	data := bytes.Repeat([]byte("x"), 64)
	b.ReportAllocs()
	for b.Loop() {
		NewTextMessage(data)
	}
}

// BenchmarkMessagePolling is the lazy polling form of a message with a
// binary attachment: built once, then shared.
func BenchmarkMessagePolling(b *testing.B) {
	text, bin := bytes.Repeat([]byte("x"), 64), bytes.Repeat([]byte{7}, 1024)
	b.ReportAllocs()
	for b.Loop() {
		var mb MessageBuilder
		m := mb.Text(engineio.Message, text).Binary(bin).Message()
		m.Polling()
		m.Polling()
	}
}

// BenchmarkWheel arms and re-arms heartbeat-like timers among 10,000
// others and advances the wheel tick by tick, as a loop does.
func BenchmarkWheel(b *testing.B) {
	start := time.Unix(0, 0)
	var w wheel
	w.init(10*time.Millisecond, start)
	timers := make([]timer, 10000)
	nop := func() {}
	for i := range timers {
		w.schedule(&timers[i], time.Duration(i%2500)*10*time.Millisecond, nop)
	}
	now := start
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		w.schedule(&timers[i%len(timers)], 25*time.Second, nop)
		if i%100 == 0 {
			now = now.Add(10 * time.Millisecond)
			w.advance(now)
		}
	}
}
