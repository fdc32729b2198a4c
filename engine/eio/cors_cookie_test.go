package eio

import (
	"net/http"
	"testing"
	"time"

	"github.com/gobwas/ws"
)

func corsHeaders(h http.Header) http.Header {
	out := http.Header{}
	for k, v := range h {
		switch k {
		case "Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Allow-Methods",
			"Access-Control-Allow-Headers", "Access-Control-Max-Age", "Vary":
			out[k] = v
		}
	}
	return out
}

func checkHeaders(t *testing.T, what string, got, want http.Header) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: headers %v, want %v", what, got, want)
	}
	for k, v := range want {
		if len(got[k]) != len(v) || (len(v) > 0 && got[k][0] != v[0]) {
			t.Fatalf("%s: %s = %q, want %q (all: %v)", what, k, got[k], v, got)
		}
	}
}

func TestCORSDisabledByDefault(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	origin := http.Header{"Origin": {"https://example.com"}}
	res := ts.mustDo("GET", ts.url("transport=polling"), "", origin)
	checkHeaders(t, "handshake", corsHeaders(res.header), http.Header{})
	sid := parseOpen(t, res.body).SID
	res = ts.mustDo("POST", ts.pollURL(sid), "4x", origin)
	checkHeaders(t, "POST", corsHeaders(res.header), http.Header{})
	res = ts.mustDo("OPTIONS", ts.url("transport=polling"), "", http.Header{
		"Origin": {"https://example.com"}, "Access-Control-Request-Method": {"POST"},
	})
	checkJSONError(t, res, 400, CodeBadHandshakeMethod, "Bad handshake method")
	checkHeaders(t, "OPTIONS", corsHeaders(res.header), http.Header{})
}

func TestCORSOrigins(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{CORS: &CORS{Origins: []string{"https://a.example", "https://b.example"}}})
	allowed := http.Header{"Origin": {"https://a.example"}}
	want := http.Header{"Access-Control-Allow-Origin": {"https://a.example"}, "Vary": {"Origin"}}

	res := ts.mustDo("GET", ts.url("transport=polling"), "", allowed)
	checkHeaders(t, "handshake", corsHeaders(res.header), want)
	sid := parseOpen(t, res.body).SID
	s := ts.h.waitOpen(t)
	res = ts.mustDo("POST", ts.pollURL(sid), "4x", allowed)
	checkHeaders(t, "POST", corsHeaders(res.header), want)
	s.SendText([]byte("y"))
	res = ts.mustDo("GET", ts.pollURL(sid), "", allowed)
	if res.body != "4y" {
		t.Fatalf("GET %q", res.body)
	}
	checkHeaders(t, "GET", corsHeaders(res.header), want)
	// Error responses carry them too.
	res = ts.mustDo("GET", ts.url("transport=nope"), "", allowed)
	checkJSONError(t, res, 400, CodeUnknownTransport, "Transport unknown")
	checkHeaders(t, "error", corsHeaders(res.header), want)

	// Another origin, or none, gets no CORS headers.
	res = ts.mustDo("GET", ts.url("transport=polling"), "", http.Header{"Origin": {"https://evil.example"}})
	if res.status != 200 {
		t.Fatalf("status %d", res.status)
	}
	checkHeaders(t, "other origin", corsHeaders(res.header), http.Header{})
	res = ts.mustDo("GET", ts.url("transport=polling"), "", nil)
	checkHeaders(t, "no origin", corsHeaders(res.header), http.Header{})
}

func TestCORSPreflight(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{CORS: &CORS{Origins: []string{"https://a.example"}, Credentials: true, MaxAge: 600}})
	res := ts.mustDo("OPTIONS", ts.url("transport=polling&sid=whatever"), "", http.Header{
		"Origin":                         {"https://a.example"},
		"Access-Control-Request-Method":  {"POST"},
		"Access-Control-Request-Headers": {"content-type,x-custom"},
	})
	if res.status != 204 || res.body != "" {
		t.Fatalf("preflight %d %q", res.status, res.body)
	}
	checkHeaders(t, "preflight", corsHeaders(res.header), http.Header{
		"Access-Control-Allow-Origin":      {"https://a.example"},
		"Vary":                             {"Origin"},
		"Access-Control-Allow-Credentials": {"true"},
		"Access-Control-Allow-Methods":     {"GET,HEAD,PUT,PATCH,POST,DELETE"},
		"Access-Control-Allow-Headers":     {"content-type,x-custom"},
		"Access-Control-Max-Age":           {"600"},
	})
	// A preflight from a refused origin is answered without grants.
	res = ts.mustDo("OPTIONS", ts.url("transport=polling"), "", http.Header{"Origin": {"https://evil.example"}})
	if res.status != 204 {
		t.Fatalf("preflight %d", res.status)
	}
	checkHeaders(t, "refused preflight", corsHeaders(res.header), http.Header{})
	// Non-preflight responses have no method grants.
	res = ts.mustDo("GET", ts.url("transport=polling"), "", http.Header{"Origin": {"https://a.example"}})
	checkHeaders(t, "GET", corsHeaders(res.header), http.Header{
		"Access-Control-Allow-Origin":      {"https://a.example"},
		"Vary":                             {"Origin"},
		"Access-Control-Allow-Credentials": {"true"},
	})
}

func TestCORSWildcard(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cors CORS
		want http.Header
	}{
		{"wildcard", CORS{Origins: []string{"*"}}, http.Header{"Access-Control-Allow-Origin": {"*"}, "Vary": {"Origin"}}},
		{"wildcard with credentials", CORS{Origins: []string{"*"}, Credentials: true}, http.Header{
			"Access-Control-Allow-Origin": {"https://x.example"}, "Vary": {"Origin"}, "Access-Control-Allow-Credentials": {"true"},
		}},
		{"AllowOrigin", CORS{AllowOrigin: func(o string) bool { return o == "https://x.example" }}, http.Header{
			"Access-Control-Allow-Origin": {"https://x.example"}, "Vary": {"Origin"},
		}},
		{"configured headers", CORS{Origins: []string{"*"}, Headers: []string{"X-A", "X-B"}}, http.Header{
			"Access-Control-Allow-Origin": {"*"}, "Vary": {"Origin"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cors := tc.cors
			ts := startServer(t, Config{CORS: &cors})
			res := ts.mustDo("GET", ts.url("transport=polling"), "", http.Header{"Origin": {"https://x.example"}})
			checkHeaders(t, "GET", corsHeaders(res.header), tc.want)
			if tc.name == "configured headers" {
				res = ts.mustDo("OPTIONS", ts.url("transport=polling"), "", http.Header{
					"Origin": {"https://x.example"}, "Access-Control-Request-Headers": {"x-other"},
				})
				if got := res.header.Get("Access-Control-Allow-Headers"); got != "X-A,X-B" {
					t.Fatalf("Allow-Headers %q", got)
				}
			}
		})
	}
}

func TestCookie(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{Cookie: &Cookie{}})
	// Polling handshake.
	res := ts.get(ts.url("transport=polling"))
	sid := parseOpen(t, res.body).SID
	if got := res.header.Values("Set-Cookie"); len(got) != 1 || got[0] != "io="+sid+"; Path=/; HttpOnly; SameSite=Lax" {
		t.Fatalf("Set-Cookie %q", got)
	}
	s := ts.h.waitOpen(t)
	// Only the handshake sets it.
	res = ts.post(ts.pollURL(sid), "4x")
	if got := res.header.Values("Set-Cookie"); len(got) != 0 {
		t.Fatalf("POST Set-Cookie %q", got)
	}
	s.SendText([]byte("y"))
	if res = ts.get(ts.pollURL(sid)); len(res.header.Values("Set-Cookie")) != 0 {
		t.Fatalf("GET Set-Cookie %q", res.header.Values("Set-Cookie"))
	}

	// A WebSocket handshake sets none: like the reference, whose cookie comes
	// from the polling transport's "headers" event, only polling responses
	// carry it.
	var cookies []string
	d := ws.Dialer{Timeout: waitTimeout, OnHeader: func(k, v []byte) error {
		if http.CanonicalHeaderKey(string(k)) == "Set-Cookie" {
			cookies = append(cookies, string(v))
		}
		return nil
	}}
	c, err := ts.dialWSWith(d, ts.wsURL("transport=websocket"))
	if err != nil {
		t.Fatal(err)
	}
	wsSID := parseOpen(t, c.readText()).SID
	if len(cookies) != 0 {
		t.Fatalf("101 Set-Cookie %q for session %s", cookies, wsSID)
	}
	ts.h.waitOpen(t)

	// The upgrade of a polling session does not set it again.
	cookies = nil
	sid2, _ := ts.openPolling()
	c2, err := ts.dialWSWith(d, ts.wsURL("transport=websocket&sid="+sid2))
	if err != nil {
		t.Fatal(err)
	}
	c2.sendText("2probe")
	c2.expectText("3probe")
	if len(cookies) != 0 {
		t.Fatalf("upgrade Set-Cookie %q", cookies)
	}
}

func TestCookieOptions(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{Cookie: &Cookie{
		Name: "sticky", Path: "/app", Domain: "example.com", MaxAge: time.Hour,
		Secure: true, SameSite: http.SameSiteStrictMode, NoHTTPOnly: true,
	}})
	res := ts.get(ts.url("transport=polling"))
	sid := parseOpen(t, res.body).SID
	want := "sticky=" + sid + "; Path=/app; Domain=example.com; Max-Age=3600; Secure; SameSite=Strict"
	if got := res.header.Get("Set-Cookie"); got != want {
		t.Fatalf("Set-Cookie %q, want %q", got, want)
	}
}

func TestNoCookieByDefault(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	res := ts.get(ts.url("transport=polling"))
	if got := res.header.Values("Set-Cookie"); len(got) != 0 {
		t.Fatalf("Set-Cookie %q", got)
	}
}
