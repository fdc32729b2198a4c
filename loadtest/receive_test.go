package loadtest

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// fakeGnetConn stands in for gnet's connection where only writes happen:
// the receive path writes pongs and protocol replies, and nothing else.
type fakeGnetConn struct {
	gnet.Conn
	out bytes.Buffer
}

func (f *fakeGnetConn) Write(p []byte) (int, error) { return f.out.Write(p) }
func (f *fakeGnetConn) Close() error                { return nil }

// newTestWSConn returns a websocket connection in state st, not attached to
// a socket, for feeding bytes to consume.
func newTestWSConn(t testing.TB, mode Mode, st state) (*wsConn, *fakeGnetConn) {
	r := testRun(t, mode)
	fc := &fakeGnetConn{}
	c := &wsConn{
		session: session{run: r, shard: r.newShard(), state: st},
		t:       &wsTransport{run: r, accept: []byte("acc")},
		gc:      fc,
	}
	return c, fc
}

func TestConsumeHandshakeAndFrames(t *testing.T) {
	c, fc := newTestWSConn(t, ModeFanout, stUpgrading)
	in := []byte("HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: acc\r\n\r\n")
	in = append(in, serverFrame(true, opText, []byte(`0{"sid":"s"}`))...)
	in = append(in, serverFrame(true, opText, []byte(`40{"sid":"t"}`))...)
	partial := serverFrame(true, opText, []byte(`430[true]`))
	in = append(in, partial[:3]...)
	n, err := c.consume(in)
	if err != nil || n != len(in)-3 {
		t.Fatalf("n=%d of %d, err %v", n, len(in), err)
	}
	if c.state != stJoining {
		t.Fatalf("state %d", c.state)
	}
	n, err = c.consume(partial)
	if err != nil || n != len(partial) || c.state != stReady {
		t.Fatalf("rest: n=%d err=%v state=%d", n, err, c.state)
	}
	// The client wrote "40" and the join, both masked.
	var got []string
	b := fc.out.Bytes()
	for len(b) > 0 {
		p, rest := unmaskClientFrame(t, b)
		got = append(got, string(p))
		b = rest
	}
	if len(got) != 2 || got[0] != "40" || got[1] != `420["join","bench"]` {
		t.Fatalf("client sent %q", got)
	}
}

func TestConsumeControlFrames(t *testing.T) {
	c, fc := newTestWSConn(t, ModeFanout, stReady)
	if _, err := c.consume(serverFrame(true, opPing, []byte("hi"))); err != nil {
		t.Fatal(err)
	}
	if p, _ := unmaskClientFrame(t, fc.out.Bytes()); string(p) != "hi" || fc.out.Bytes()[0] != 0x80|opPong {
		t.Fatalf("pong %q", p)
	}
	if _, err := c.consume(serverFrame(true, opClose, []byte{3, 232})); err == nil {
		t.Fatal("close frame not reported")
	}
	c, _ = newTestWSConn(t, ModeFanout, stUpgrading)
	if _, err := c.consume([]byte("HTTP/1.1 403 Forbidden\r\n\r\n")); err == nil {
		t.Fatal("refused upgrade accepted")
	}
}

// unmaskClientFrame decodes one masked client frame from b.
func unmaskClientFrame(t testing.TB, b []byte) (payload, rest []byte) {
	t.Helper()
	if len(b) < 6 || b[1]&0x80 == 0 {
		t.Fatalf("not a masked frame: % x", b)
	}
	n, hdr := int(b[1]&0x7f), 2
	if n >= 126 {
		t.Fatalf("long test frame")
	}
	mask := b[hdr : hdr+4]
	p := append([]byte(nil), b[hdr+4:hdr+4+n]...)
	for i := range p {
		p[i] ^= mask[i%4]
	}
	return p, b[hdr+4+n:]
}

// BenchmarkReceive measures the receive path of one loop read holding 16
// fanout messages: frame parsing, packet parsing, event match, time scan
// and histogram update. It must not allocate.
func BenchmarkReceive(b *testing.B) {
	c, _ := newTestWSConn(b, ModeFanout, stReady)
	msg := fmt.Appendf(nil, `42["msg",{"t":%d,"p":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}]`, time.Now().UnixNano())
	var buf []byte
	const perRead = 16
	for range perRead {
		buf = append(buf, serverFrame(true, opText, msg)...)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		if n, err := c.consume(buf); n != len(buf) || err != nil {
			b.Fatal(n, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*perRead), "ns/msg")
}

// BenchmarkEchoAck measures handling an echo ack and sending the next echo.
func BenchmarkEchoAck(b *testing.B) {
	c, fc := newTestWSConn(b, ModeEcho, stReady)
	c.run.echoUntil.Store(time.Now().Add(time.Hour).UnixNano())
	payload := fmt.Appendf(nil, `[{"t":%d,"p":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}]`, time.Now().UnixNano())
	frames := make([][]byte, 1024)
	for i := range frames {
		frames[i] = serverFrame(true, opText, fmt.Appendf(nil, "43%d%s", i, payload))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c.nextAck = uint32(i%1024) + 1
		if _, err := c.consume(frames[i%1024]); err != nil {
			b.Fatal(err)
		}
		i++
		if fc.out.Len() > 1<<20 {
			fc.out.Reset()
		}
	}
}
