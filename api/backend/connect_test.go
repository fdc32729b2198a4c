package backend

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func newConnectHook(t testing.TB, cfg ConnectHookConfig) *ConnectHook {
	t.Helper()
	h, err := NewConnectHook(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

var testHandshake = ConnectRequest{
	Namespace: "/chat",
	Auth:      json.RawMessage(`{"token":"abc"}`),
	Query:     map[string][]string{"v": {"2"}, "EIO": {"4"}},
	Headers: map[string][]string{
		"Origin":            {"https://app.example"},
		"cookie":            {"sid=1"},
		"Sec-Websocket-Key": {"dGhlIHNhbXBsZQ=="},
		"X-Tenant":          {"t1"},
		"X-Other":           {"no"},
	},
	Address: "203.0.113.7:51234",
}

func TestConnectHookRequestShape(t *testing.T) {
	s := newServer(t, reply(200, `{"user_id":"u1"}`))
	h := newConnectHook(t, ConnectHookConfig{URL: s.URL, ForwardHeaders: []string{"x-tenant"}, Headers: map[string]string{"Authorization": "Bearer k"}})
	if _, err := h.Authorize(context.Background(), testHandshake); err != nil {
		t.Fatal(err)
	}
	r := s.requests()[0]
	want := `{"namespace":"/chat","auth":{"token":"abc"},"query":{"EIO":["4"],"v":["2"]},` +
		`"headers":{"Cookie":["sid=1"],"Origin":["https://app.example"],"X-Tenant":["t1"]},"address":"203.0.113.7:51234"}`
	if string(r.Body) != want {
		t.Errorf("body\n got %s\nwant %s", r.Body, want)
	}
	if r.Header.Get("Authorization") != "Bearer k" || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", r.Header)
	}

	// No auth payload, no query, no headers.
	h.Authorize(context.Background(), ConnectRequest{Namespace: "/"})
	want = `{"namespace":"/","auth":null,"query":{},"headers":{},"address":""}`
	if got := string(s.requests()[1].Body); got != want {
		t.Errorf("body\n got %s\nwant %s", got, want)
	}
}

func TestConnectHookGrant(t *testing.T) {
	s := newServer(t, reply(200, `{"user_id":"u1","rooms":["user:u1"],"join":["lobby"],"publish":["lobby"],"data":{"plan":"pro","n":12345678901234567890},"extra":true}`))
	h := newConnectHook(t, ConnectHookConfig{URL: s.URL})
	g, err := h.Authorize(context.Background(), testHandshake)
	if err != nil {
		t.Fatal(err)
	}
	want := Grant{
		UserID: "u1", Rooms: []string{"user:u1"}, Join: []string{"lobby"}, Publish: []string{"lobby"},
		Data: map[string]any{"plan": "pro", "n": json.Number("12345678901234567890")},
	}
	if !reflect.DeepEqual(g, want) {
		t.Fatalf("got %+v\nwant %+v", g, want)
	}
}

func TestConnectHookRefusal(t *testing.T) {
	for _, c := range []struct {
		status   int
		body     string
		wantMsg  string
		wantData string
	}{
		{401, `{"message":"session expired","data":{"relogin":true}}`, "session expired", `{"relogin":true}`},
		{403, ``, "Forbidden", ""},
		{401, `not json`, "Unauthorized", ""},
		{403, `{"message":42}`, "Forbidden", ""},
	} {
		s := newServer(t, reply(c.status, c.body))
		h := newConnectHook(t, ConnectHookConfig{URL: s.URL, Breaker: BreakerConfig{Failures: 1}})
		_, err := h.Authorize(context.Background(), testHandshake)
		var r *Refusal
		if !errors.As(err, &r) {
			t.Fatalf("%d %q: %v", c.status, c.body, err)
		}
		if r.Status != c.status || r.Message != c.wantMsg || string(r.Data) != c.wantData || r.Error() != c.wantMsg {
			t.Errorf("%d %q: %+v", c.status, c.body, r)
		}
		if st := h.Stats(); st.Breaker != BreakerClosed || st.OK != 1 {
			t.Errorf("stats %+v", st)
		}
	}
}

func TestConnectHookInvalidAnswers(t *testing.T) {
	for _, body := range []string{
		``, `null`, `[]`, `"u1"`, `{}`, `{"user_id":""}`, `{"user_id":null}`, `{"user_id":1.5}`,
		`{"user_id":true}`, `{"user_id":"u","rooms":"r"}`, `{"user_id":"u","rooms":[1]}`,
		`{"user_id":"u","join":[""]}`, `{"user_id":"u","data":[1]}`, `{"user_id":"u"} x`, `<html>`,
	} {
		s := newServer(t, reply(200, body))
		h := newConnectHook(t, ConnectHookConfig{URL: s.URL})
		_, err := h.Authorize(context.Background(), testHandshake)
		if e := code(t, err); e.Code != CodeInvalid || e.Status != 200 {
			t.Errorf("%s: %+v", body, e)
		}
	}
}

func TestConnectHookFailures(t *testing.T) {
	s := newServer(t, reply(500, `{}`))
	h := newConnectHook(t, ConnectHookConfig{URL: s.URL})
	if e := code(t, errOf2(h.Authorize(context.Background(), testHandshake))); e.Code != CodeStatus || e.Status != 500 {
		t.Fatalf("%+v", e)
	}
	h = newConnectHook(t, ConnectHookConfig{URL: closedURL(t)})
	if e := code(t, errOf2(h.Authorize(context.Background(), testHandshake))); e.Code != CodeUnavailable {
		t.Fatalf("%+v", e)
	}
	s = newServer(t, reply(200, `{"user_id":"`+strings.Repeat("x", 100<<10)+`"}`))
	h = newConnectHook(t, ConnectHookConfig{URL: s.URL})
	if e := code(t, errOf2(h.Authorize(context.Background(), testHandshake))); e.Code != CodeInvalid {
		t.Fatalf("oversized: %+v", e)
	}
	s = newServer(t, func(_ http.ResponseWriter, r *http.Request, _ int64) { <-r.Context().Done() })
	h = newConnectHook(t, ConnectHookConfig{URL: s.URL, Timeout: 100 * time.Millisecond})
	if e := code(t, errOf2(h.Authorize(context.Background(), testHandshake))); e.Code != CodeTimeout {
		t.Fatalf("%+v", e)
	}
}

func errOf2(_ Grant, err error) error { return err }

func TestDecodeGrant(t *testing.T) {
	for body, want := range map[string]Grant{
		`{"user_id":"u1"}`:                             {UserID: "u1"},
		` {"user_id":42}`:                              {UserID: "42"},
		`{"user_id":-7,"rooms":null}`:                  {UserID: "-7"},
		`{"user_id":"é\u00e9","rooms":["a","b"]}`:      {UserID: "éé", Rooms: []string{"a", "b"}},
		`{"user_id":"u","data":{"a":{"b":[1,"x"]}}}`:   {UserID: "u", Data: map[string]any{"a": map[string]any{"b": []any{json.Number("1"), "x"}}}},
		`{"user_id":"u","publish":["p"],"join":["j"]}`: {UserID: "u", Publish: []string{"p"}, Join: []string{"j"}},
	} {
		g, err := decodeGrant([]byte(body))
		if err != nil {
			t.Errorf("%s: %v", body, err)
			continue
		}
		if !reflect.DeepEqual(g, want) {
			t.Errorf("%s: got %+v, want %+v", body, g, want)
		}
	}
	if _, err := decodeGrant([]byte(`{"user_id":"` + strings.Repeat("x", maxUserID+1) + `"}`)); err == nil {
		t.Error("overlong user_id accepted")
	}
}

// FuzzDecodeGrant checks that no answer makes decodeGrant panic, that a
// grant always names a user, and that a grant survives a round trip.
// Seeds are in testdata/fuzz/FuzzDecodeGrant.
func FuzzDecodeGrant(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		g, err := decodeGrant(body)
		if err != nil {
			return
		}
		if g.UserID == "" || len(g.UserID) > maxUserID {
			t.Fatalf("grant with user id %q", g.UserID)
		}
		again, err := json.Marshal(map[string]any{
			"user_id": g.UserID, "rooms": g.Rooms, "join": g.Join, "publish": g.Publish, "data": g.Data,
		})
		if err != nil {
			t.Fatalf("re-encoding %+v: %v", g, err)
		}
		g2, err := decodeGrant(again)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", again, err)
		}
		if !reflect.DeepEqual(g, g2) {
			t.Fatalf("round trip changed the grant:\n%+v\n%+v", g, g2)
		}
	})
}
