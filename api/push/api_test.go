package push

import (
	"log/slog"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/heraldrt/herald/engine"
)

// fakeNode is a node whose readiness a test sets.
type fakeNode struct {
	srv   *engine.Server
	ready bool
}

func (f *fakeNode) Server() *engine.Server    { return f.srv }
func (f *fakeNode) UserRoom(id string) string { return "user:" + id }
func (f *fakeNode) Ready() bool               { return f.ready }

func serve(a *API, method, path, body string) *fasthttp.Response {
	var req fasthttp.Request
	req.Header.SetMethod(method)
	req.SetRequestURI(path)
	req.Header.Set("Authorization", "Bearer key-0123456789abcdef")
	req.Header.SetContentType("application/json")
	req.SetBodyString(body)
	ctx := &fasthttp.RequestCtx{}
	ctx.Init(&req, nil, nil) // as a server would, so that ctx is a context
	a.Serve(ctx)
	return &ctx.Response
}

func TestUnboundAndStoppingNodesAnswer503(t *testing.T) {
	a, err := New(testAPIConfig(), WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	const emit = `{"event":"e","targets":{"all":true}}`
	if r := serve(a, "POST", "/v1/emit", emit); r.StatusCode() != 503 || string(r.Header.Peek("Retry-After")) != "1" {
		t.Fatalf("before Bind: %d %s", r.StatusCode(), r.Body())
	}
	if r := serve(a, "GET", "/v1/openapi.json", ""); r.StatusCode() != 200 {
		t.Fatalf("openapi before Bind: %d", r.StatusCode())
	}
	srv, err := engine.NewServer(engine.Config{})
	if err != nil {
		t.Fatal(err)
	}
	n := &fakeNode{srv: srv, ready: true}
	a.Bind(n)
	if r := serve(a, "POST", "/v1/emit", emit); r.StatusCode() != 200 || string(r.Body()) != `{"recipients":0}` {
		t.Fatalf("ready, not listening: %d %s", r.StatusCode(), r.Body())
	}
	n.ready = false
	if r := serve(a, "POST", "/v1/emit", emit); r.StatusCode() != 503 {
		t.Fatalf("stopping: %d %s", r.StatusCode(), r.Body())
	}
}

func TestPanicsBecome500(t *testing.T) {
	a, err := New(testAPIConfig(), WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	a.Bind(&fakeNode{srv: nil, ready: true}) // a node without a server panics
	r := serve(a, "POST", "/v1/emit", `{"event":"e","targets":{"all":true}}`)
	if r.StatusCode() != 500 || string(r.Header.ContentType()) != "application/problem+json" {
		t.Fatalf("%d %s, want a 500 problem", r.StatusCode(), r.Body())
	}
}
