package push_test

// Benchmarks of the emit path, from the HTTP request (an in-memory
// fasthttp.RequestCtx handed to API.Serve, so that the HTTP server's own
// cost stays out) to the delivery on every event loop, against a live
// node whose clients read and discard their frames without decoding them.
// Allocations are reported for the whole process, engine included.

import (
	"context"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"github.com/valyala/fasthttp"

	"github.com/heraldrt/herald/api/config"
)

// benchNode starts a node for benchmarks: no heartbeat to answer during
// the run, so that drain clients can discard everything they receive.
func benchNode(b *testing.B) *node {
	return startNode(b, func(c *config.Config) {
		c.Engine.PingInterval = config.Duration(time.Hour)
		c.API.Rate = 0
		c.Log.Level = "error"
	})
}

// drain connects a raw WebSocket client for user, in rooms, waits for
// the CONNECT answer, then discards every byte the server sends.
func (n *node) drain(b testing.TB, user string, rooms ...string) {
	b.Helper()
	u, _ := url.Parse(n.sio)
	u.Scheme, u.Path, u.RawQuery = "ws", "/socket.io/", "EIO=4&transport=websocket"
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	conn, br, _, err := ws.Dial(ctx, u.String())
	if err != nil {
		b.Fatalf("dial: %v", err)
	}
	b.Cleanup(func() { _ = conn.Close() })
	var r io.Reader = conn
	if br != nil {
		r = io.MultiReader(br, conn)
	}
	rw := struct {
		io.Reader
		io.Writer
	}{r, conn}
	if _, _, err := wsutil.ReadServerData(rw); err != nil { // the open packet
		b.Fatalf("open: %v", err)
	}
	if err := wsutil.WriteClientText(conn, []byte(`40{"token":"`+token(b, user, rooms...)+`"}`)); err != nil {
		b.Fatalf("connect: %v", err)
	}
	msg, _, err := wsutil.ReadServerData(rw)
	if err != nil || !strings.HasPrefix(string(msg), "40{") {
		b.Fatalf("connect answer %q: %v", msg, err)
	}
	go func() { _, _ = io.Copy(io.Discard, r) }()
}

// emitCtx is a request to POST /v1/emit with body, ready to serve again
// and again.
func emitCtx(body string) *fasthttp.RequestCtx {
	var req fasthttp.Request
	req.Header.SetMethod(fasthttp.MethodPost)
	req.SetRequestURI("/v1/emit")
	req.Header.SetContentType("application/json")
	req.Header.Set("Authorization", "Bearer "+keyEmit)
	req.SetBodyString(body)
	ctx := &fasthttp.RequestCtx{}
	ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}, nil)
	return ctx
}

func benchEmit(b *testing.B, n *node, body string, want int) {
	ctx := emitCtx(body)
	serve := func() {
		ctx.Response.Reset()
		n.api.Serve(ctx)
		if ctx.Response.StatusCode() != 200 {
			b.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
		}
	}
	serve()
	if got := string(ctx.Response.Body()); got != `{"recipients":`+strconv.Itoa(want)+`}` {
		b.Fatalf("answer %s, want %d recipients", got, want)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		serve()
	}
}

const benchData = `{"t":1700000000000000000,"text":"a message of about a hundred bytes, as chat or notifications send them"}`

func BenchmarkEmitToUser(b *testing.B) {
	n := benchNode(b)
	n.drain(b, "alice")
	n.drain(b, "bob")
	benchEmit(b, n, `{"event":"note","data":`+benchData+`,"targets":{"users":["alice"]}}`, 1)
}

func BenchmarkEmitToRoom1000(b *testing.B) {
	n := benchNode(b)
	for i := range 1000 {
		n.drain(b, "u"+strconv.Itoa(i), "bench")
	}
	benchEmit(b, n, `{"event":"note","data":`+benchData+`,"targets":{"rooms":["bench"]}}`, 1000)
}

func BenchmarkEmitToNobody(b *testing.B) {
	n := benchNode(b)
	ctx := emitCtx(`{"event":"note","data":` + benchData + `,"targets":{"users":["nobody"]}}`)
	b.ReportAllocs()
	for b.Loop() {
		ctx.Response.Reset()
		n.api.Serve(ctx)
	}
}
