package push_test

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/heraldrt/herald/api/config"
	"github.com/heraldrt/herald/api/push"
)

// badEmits are emit bodies the API must refuse, with the answer.
var badEmits = []struct {
	name, body string
	status     int
	typ, field string
}{
	{"empty body", ``, 400, push.ProblemInvalidJSON, ""},
	{"not JSON", `event=x`, 400, push.ProblemInvalidJSON, ""},
	{"not an object", `["x"]`, 400, push.ProblemWrongType, ""},
	{"truncated", `{"event":"x","targets":{"all":true}`, 400, push.ProblemInvalidJSON, ""},
	{"trailing data", `{"event":"x","targets":{"all":true}} {}`, 400, push.ProblemInvalidJSON, ""},
	{"invalid UTF-8", "{\"event\":\"\xff\",\"targets\":{\"all\":true}}", 400, push.ProblemInvalidJSON, ""},
	{"control character", "{\"event\":\"a\x01\",\"targets\":{\"all\":true}}", 400, push.ProblemInvalidJSON, "event"},
	{"bad escape", `{"event":"\q","targets":{"all":true}}`, 400, push.ProblemInvalidJSON, "event"},
	{"single quotes", `{'event':'x'}`, 400, push.ProblemInvalidJSON, ""},
	{"unknown field", `{"event":"x","targets":{"all":true},"room":"r"}`, 400, push.ProblemUnknownField, "room"},
	{"unknown target field", `{"event":"x","targets":{"room":["r"]}}`, 400, push.ProblemUnknownField, "targets.room"},
	{"all in except", `{"event":"x","targets":{"rooms":["r"]},"except":{"all":true}}`, 400, push.ProblemUnknownField, "except.all"},
	{"duplicate field", `{"event":"x","event":"y","targets":{"all":true}}`, 400, push.ProblemDuplicateField, "event"},
	{"event not a string", `{"event":7,"targets":{"all":true}}`, 400, push.ProblemWrongType, "event"},
	{"event empty", `{"event":"","targets":{"all":true}}`, 400, push.ProblemInvalidValue, "event"},
	{"event reserved", `{"event":"disconnect","targets":{"all":true}}`, 400, push.ProblemInvalidValue, "event"},
	{"event missing", `{"targets":{"all":true}}`, 400, push.ProblemMissingField, "event"},
	{"targets missing", `{"event":"x"}`, 400, push.ProblemMissingField, "targets"},
	{"targets empty", `{"event":"x","targets":{}}`, 400, push.ProblemInvalidValue, "targets"},
	{"targets empty lists", `{"event":"x","targets":{"rooms":[],"users":null}}`, 400, push.ProblemInvalidValue, "targets"},
	{"targets all and rooms", `{"event":"x","targets":{"all":true,"rooms":["r"]}}`, 400, push.ProblemInvalidValue, "targets.all"},
	{"targets not an object", `{"event":"x","targets":["r"]}`, 400, push.ProblemWrongType, "targets"},
	{"room not a string", `{"event":"x","targets":{"rooms":["a","b",3]}}`, 400, push.ProblemWrongType, "targets.rooms[2]"},
	{"room empty", `{"event":"x","targets":{"users":["a",""]}}`, 400, push.ProblemInvalidValue, "targets.users[1]"},
	{"rooms not a list", `{"event":"x","targets":{"rooms":"r"}}`, 400, push.ProblemWrongType, "targets.rooms"},
	{"all not a boolean", `{"event":"x","targets":{"all":"yes"}}`, 400, push.ProblemWrongType, "targets.all"},
	{"volatile not a boolean", `{"event":"x","targets":{"all":true},"volatile":1}`, 400, push.ProblemWrongType, "volatile"},
	{"namespace without slash", `{"namespace":"chat","event":"x","targets":{"all":true}}`, 400, push.ProblemInvalidValue, "namespace"},
	{"namespace unknown", `{"namespace":"/nope","event":"x","targets":{"all":true}}`, 404, push.ProblemNamespaceNotFound, "namespace"},
	{"data and args", `{"event":"x","data":1,"args":[1],"targets":{"all":true}}`, 400, push.ProblemInvalidValue, "args"},
	{"args not a list", `{"event":"x","args":{},"targets":{"all":true}}`, 400, push.ProblemWrongType, "args"},
	{"bad data", `{"event":"x","data":{"a":[1,2,}]},"targets":{"all":true}}`, 400, push.ProblemInvalidJSON, "data.a[2]"},
	{"bad number", `{"event":"x","data":{"n":01},"targets":{"all":true}}`, 400, push.ProblemInvalidJSON, "data.n"},
	{"ack timeout too long", `{"event":"x","targets":{"all":true},"ack_timeout_ms":30001}`, 400, push.ProblemInvalidValue, "ack_timeout_ms"},
	{"ack timeout negative", `{"event":"x","targets":{"all":true},"ack_timeout_ms":-1}`, 400, push.ProblemInvalidValue, "ack_timeout_ms"},
	{"ack timeout fractional", `{"event":"x","targets":{"all":true},"ack_timeout_ms":1.5}`, 400, push.ProblemWrongType, "ack_timeout_ms"},
	{"ack timeout a string", `{"event":"x","targets":{"all":true},"ack_timeout_ms":"100"}`, 400, push.ProblemWrongType, "ack_timeout_ms"},
	{"binary not base64", `{"event":"x","data":{"file":{"$binary":"%%%"}},"targets":{"all":true}}`, 400, push.ProblemInvalidValue, "data.file.$binary"},
	{"binary not a string", `{"event":"x","args":[1,{"$binary":5}],"targets":{"all":true}}`, 400, push.ProblemWrongType, "args[1].$binary"},
	{"binary with company", `{"event":"x","data":{"$binary":"aGk=","name":"f"},"targets":{"all":true}}`, 400, push.ProblemInvalidValue, "data.name"},
	{"binary unpadded", `{"event":"x","data":{"$binary":"aGk"},"targets":{"all":true}}`, 400, push.ProblemInvalidValue, "data.$binary"},
	{"placeholder beside binary", `{"event":"x","data":[{"_placeholder":true,"num":0},{"$binary":"aGk="}],"targets":{"all":true}}`, 400, push.ProblemInvalidValue, "data[0]._placeholder"},
	{"too deep", `{"event":"x","data":` + strings.Repeat("[", 300) + strings.Repeat("]", 300) + `,"targets":{"all":true}}`, 400, push.ProblemInvalidValue, "data" + strings.Repeat("[0]", 256)},
}

func TestBadEmitsAreRefusedWithoutEffect(t *testing.T) {
	n := startNode(t, nil)
	a := n.connect(t, "a", "/")
	for _, tc := range badEmits {
		r := n.request(t, http.MethodPost, "/v1/emit", keyEmit, []byte(tc.body))
		if r.status != tc.status {
			t.Errorf("%s: status %d %s, want %d", tc.name, r.status, r.body, tc.status)
			continue
		}
		if p := r.problem(t); p.Type != tc.typ || p.Field != tc.field {
			t.Errorf("%s: %s, want type %s field %q", tc.name, r.body, tc.typ, tc.field)
		}
		// The same refusal inside a batch names the emit.
		batch := []byte(`{"emits":[{"event":"ok","targets":{"all":true}},` + tc.body + `]}`)
		if tc.field == "" {
			// A problem with the body as a whole.
			continue
		}
		r = n.request(t, http.MethodPost, "/v1/batch", keyEmit, batch)
		want := "emits[1]." + tc.field
		if p := r.problem(t); r.status != tc.status || p.Type != tc.typ || p.Field != want {
			t.Errorf("%s in a batch: %d %s, want %s at %q", tc.name, r.status, r.body, tc.typ, want)
		}
	}
	n.fence(t, "", []*client{a})
}

func TestBadMembershipAndDisconnectBodies(t *testing.T) {
	n := startNode(t, nil)
	a := n.connect(t, "a", "/", "r")
	for _, tc := range []struct {
		path, body string
		typ, field string
	}{
		{"/v1/sockets/join", `{"targets":{"all":true}}`, push.ProblemMissingField, "rooms"},
		{"/v1/sockets/join", `{"targets":{"all":true},"rooms":[]}`, push.ProblemInvalidValue, "rooms"},
		{"/v1/sockets/join", `{"rooms":["x"]}`, push.ProblemMissingField, "targets"},
		{"/v1/sockets/leave", `{"targets":{"users":["a"]},"rooms":["x",1]}`, push.ProblemWrongType, "rooms[1]"},
		{"/v1/sockets/leave", `{"targets":{"users":["a"]},"rooms":["x"],"event":"y"}`, push.ProblemUnknownField, "event"},
		{"/v1/sockets/disconnect", `{}`, push.ProblemMissingField, "targets"},
		{"/v1/sockets/disconnect", `{"targets":{"users":["a"]},"reason":""}`, push.ProblemInvalidValue, "reason"},
		{"/v1/sockets/disconnect", `{"targets":{"users":["a"]},"close":"yes"}`, push.ProblemWrongType, "close"},
		{"/v1/sockets/disconnect", `{"targets":{}}`, push.ProblemInvalidValue, "targets"},
		{"/v1/batch", `{}`, push.ProblemMissingField, "emits"},
		{"/v1/batch", `{"emits":{}}`, push.ProblemWrongType, "emits"},
		{"/v1/batch", `{"emits":[1]}`, push.ProblemWrongType, "emits[0]"},
	} {
		r := n.request(t, http.MethodPost, tc.path, keyAll, tc.body)
		if p := r.problem(t); r.status != 400 || p.Type != tc.typ || p.Field != tc.field {
			t.Errorf("%s %s: %d %s, want 400 %s at %q", tc.path, tc.body, r.status, r.body, tc.typ, tc.field)
		}
	}
	// a is still connected and in room r.
	if got := recipients(t, n.mustPost(t, "/v1/emit", keyEmit, map[string]any{"event": "x", "targets": map[string]any{"rooms": []string{"r"}}})); got != 1 {
		t.Fatalf("room r has %d after refused requests, want 1", got)
	}
	n.fence(t, "x", []*client{a}, a)
}

func TestContentTypeAndBodySize(t *testing.T) {
	// The API's own limit is below the server's: the API answers 413.
	n := startNodeAPI(t, nil, func(c *config.API) { c.MaxBody = 200 })
	a := n.connect(t, "a", "/")
	body := `{"event":"x","targets":{"all":true},"data":"` + strings.Repeat("x", 200) + `"}`
	r := n.request(t, http.MethodPost, "/v1/emit", keyEmit, body)
	if r.status != 413 || r.problem(t).Type != push.ProblemBodyTooLarge {
		t.Fatalf("over max_body: %d %s, want 413", r.status, r.body)
	}
	ok := `{"event":"x","targets":{"all":true}}`
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "application/jsonx", ""} {
		r := n.request(t, http.MethodPost, "/v1/emit", keyEmit, ok, "Content-Type", ct)
		if r.status != 415 || r.problem(t).Type != push.ProblemUnsupportedMedia {
			t.Errorf("Content-Type %q: %d %s, want 415", ct, r.status, r.body)
		}
	}
	for _, ct := range []string{"application/json; charset=utf-8", "Application/JSON"} {
		if r := n.request(t, http.MethodPost, "/v1/emit", keyEmit, ok, "Content-Type", ct); r.status != 200 {
			t.Errorf("Content-Type %q: %d %s, want 200", ct, r.status, r.body)
		}
	}
	// Routes with a body take no query: its options would be ignored.
	r = n.request(t, http.MethodPost, "/v1/emit?namespace=/other", keyEmit, ok)
	if p := r.problem(t); r.status != 400 || p.Type != push.ProblemUnknownField || p.Field != "namespace" {
		t.Errorf("emit with a query: %d %s, want 400 unknown-field naming namespace", r.status, r.body)
	}
	a.expect(t, "x")
	a.expect(t, "x")
	n.fence(t, "", []*client{a})
}

// TestErrorHandlerAnswersOversizedBodies runs the API behind a fasthttp
// server whose own body limit refuses the request before any handler, as
// the operator server does, with ErrorHandler installed.
func TestErrorHandlerAnswersOversizedBodies(t *testing.T) {
	api, err := push.New(testConfig().API)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: api.Serve, ErrorHandler: push.ErrorHandler, MaxRequestBodySize: 100, Logger: quiet{}}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	req, _ := http.NewRequest(http.MethodPost, "http://"+ln.Addr().String()+"/v1/emit", bytes.NewReader(bytes.Repeat([]byte("x"), 1000)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+keyEmit)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p push.Problem
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 413 || resp.Header.Get("Content-Type") != "application/problem+json" || p.Type != push.ProblemBodyTooLarge {
		t.Fatalf("%d %s %+v, want a 413 problem", resp.StatusCode, resp.Header.Get("Content-Type"), p)
	}
}

func TestOversizedBodyOnTheLiveNodeHasNoEffect(t *testing.T) {
	n := startNode(t, func(c *config.Config) { c.API.MaxBody = 1000 })
	a := n.connect(t, "a", "/")
	body := `{"event":"x","targets":{"all":true},"data":"` + strings.Repeat("x", 2000) + `"}`
	r := n.request(t, http.MethodPost, "/v1/emit", keyEmit, body)
	// The operator server refuses it before the API sees it. Until the
	// gateway installs push.ErrorHandler, fasthttp's default answers 400
	// text/plain instead of a 413 problem.
	if r.status != 413 && r.status != 400 {
		t.Fatalf("over the server's limit: %d %s", r.status, r.body)
	}
	n.fence(t, "", []*client{a})
}

func TestRouting(t *testing.T) {
	n := startNode(t, nil)
	for _, tc := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/v1/nope", 404, ""},
		{"GET", "/v1", 404, ""},
		{"GET", "/v1/", 404, ""},
		{"GET", "/v1x/stats", 404, ""},
		{"GET", "/v1/stats/", 404, ""},
		{"GET", "/v1//stats", 404, ""},
		{"GET", "/v1/users/", 404, ""},
		{"GET", "/v1/users/a/b", 404, ""},
		{"GET", "/v1/emit", 405, "POST"},
		{"PUT", "/v1/emit", 405, "POST"},
		{"DELETE", "/v1/stats", 405, "GET"},
		{"HEAD", "/v1/sockets", 405, "GET"},
		{"POST", "/v1/users/a", 405, "GET"},
		{"OPTIONS", "/v1/emit", 405, "POST"},
	} {
		r := n.request(t, tc.method, tc.path, keyAll, nil)
		if r.status != tc.status || r.header.Get("Allow") != tc.allow {
			t.Errorf("%s %s: %d Allow %q, want %d Allow %q", tc.method, tc.path, r.status, r.header.Get("Allow"), tc.status, tc.allow)
			continue
		}
		if tc.method == "HEAD" {
			continue
		}
		want := push.ProblemNotFound
		if tc.status == 405 {
			want = push.ProblemMethodNotAllowed
		}
		if p := r.problem(t); p.Type != want {
			t.Errorf("%s %s: type %s, want %s", tc.method, tc.path, p.Type, want)
		}
	}
}

func TestCORS(t *testing.T) {
	const origin = "https://app.example"
	preflight := func(n *node, origin string) response {
		return n.request(t, http.MethodOptions, "/v1/emit", "", nil,
			"Origin", origin, "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization, content-type")
	}
	emit := func(n *node, origin string) response {
		return n.request(t, http.MethodPost, "/v1/emit", keyEmit, `{"event":"x","targets":{"all":true}}`, "Origin", origin)
	}

	off := startNode(t, nil)
	if r := preflight(off, origin); r.status != 405 || r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("CORS off, preflight: %d %v", r.status, r.header)
	}
	if r := emit(off, origin); r.status != 200 || r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("CORS off, request: %d %v", r.status, r.header)
	}

	on := startNode(t, func(c *config.Config) { c.API.CORS = config.CORS{Origins: []string{origin}, Credentials: true} })
	r := preflight(on, origin)
	if r.status != 204 || r.header.Get("Access-Control-Allow-Origin") != origin ||
		r.header.Get("Access-Control-Allow-Methods") != "POST" ||
		!strings.Contains(r.header.Get("Access-Control-Allow-Headers"), "Authorization") ||
		r.header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("preflight: %d %v", r.status, r.header)
	}
	if r := emit(on, origin); r.status != 200 || r.header.Get("Access-Control-Allow-Origin") != origin || r.header.Get("Vary") != "Origin" {
		t.Fatalf("request: %d %v", r.status, r.header)
	}
	if r := preflight(on, "https://evil.example"); r.status != 405 || r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("other origin, preflight: %d %v", r.status, r.header)
	}
	if r := emit(on, "https://evil.example"); r.header.Get("Access-Control-Allow-Origin") != "" || r.header.Get("Vary") != "Origin" {
		t.Fatalf("other origin, request: %v", r.header)
	}
	// Errors carry the headers too, so that the browser can read them.
	if r := on.request(t, http.MethodGet, "/v1/stats", "", nil, "Origin", origin); r.status != 401 || r.header.Get("Access-Control-Allow-Origin") != origin {
		t.Fatalf("401 without CORS headers: %v", r.header)
	}

	anyOrigin := startNode(t, func(c *config.Config) { c.API.CORS = config.CORS{Origins: []string{"*"}} })
	if r := emit(anyOrigin, "https://whoever.example"); r.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf(`origins ["*"]: %v`, r.header)
	}
}

// quiet is a fasthttp logger that drops the lines about refused requests
// these tests provoke.
type quiet struct{}

func (quiet) Printf(string, ...any) {}
