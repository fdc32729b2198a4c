package gateway_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/api/auth"
	"github.com/heraldrt/herald/api/config"
	"github.com/heraldrt/herald/api/gateway"
	"github.com/heraldrt/herald/engine/enginetest"
)

// transportSets are the client transport options the official client is
// run with: polling only, WebSocket only, and the default (polling
// upgraded to WebSocket).
var transportSets = map[string][]string{
	"polling":   {"polling"},
	"websocket": {"websocket"},
	"upgrade":   nil,
}

func withTransports(opts map[string]any, ts []string) map[string]any {
	if ts != nil {
		opts["transports"] = ts
	}
	return opts
}

// TestE2EJWT connects the official client with tokens in each of the
// three places the README names (auth payload, token query parameter,
// Authorization header), on each transport set, and with every kind of
// bad token; refusals must reach connect_error as "unauthorized" with the
// documented data.code.
func TestE2EJWT(t *testing.T) {
	t.Parallel()
	n := startNode(t, testConfig(t))

	var attempts []connectAttempt
	subs := map[string]string{}
	for ts, transports := range transportSets {
		for _, where := range []string{"auth", "query", "header"} {
			name := where + "/" + ts
			sub := "u-" + where + "-" + ts
			subs[name] = sub
			tok := userToken(t, sub)
			opts := map[string]any{}
			switch where {
			case "auth":
				opts["auth"] = map[string]any{"token": tok}
			case "query":
				opts["query"] = map[string]any{"token": tok}
			case "header":
				opts["extraHeaders"] = map[string]any{"Authorization": "Bearer " + tok}
			}
			attempts = append(attempts, connectAttempt{
				Name: name, Opts: withTransports(opts, transports),
				// The user room proves who the node thinks the socket is:
				// only one's own user room cannot be left.
				Emits: []any{withAck("room:leave", "user:"+sub), withAck("room:leave", "user:someone-else")},
			})
		}
	}

	expired := token(t, auth.Claims{Subject: "late", TTL: -time.Hour})
	forged := signWith(t, "another-secret-of-at-least-32-bytes!!", auth.Claims{Subject: "mallory"})
	notYet := token(t, auth.Claims{Subject: "early", Extra: map[string]any{"nbf": time.Now().Add(time.Hour).Unix()}})
	badRooms := token(t, auth.Claims{Subject: "x", Extra: map[string]any{"rooms": 7}})
	refusals := []struct {
		name, code string
		opts       map[string]any
	}{
		{"expired", auth.CodeTokenExpired, map[string]any{"auth": map[string]any{"token": expired}}},
		{"expired-query-polling", auth.CodeTokenExpired, map[string]any{"query": map[string]any{"token": expired}, "transports": []string{"polling"}}},
		{"expired-header-websocket", auth.CodeTokenExpired, map[string]any{"extraHeaders": map[string]any{"Authorization": "Bearer " + expired}, "transports": []string{"websocket"}}},
		{"forged", auth.CodeTokenSignature, map[string]any{"auth": map[string]any{"token": forged}}},
		{"alg-none", auth.CodeTokenAlgorithm, map[string]any{"auth": map[string]any{"token": algNoneToken("root")}}},
		{"missing", auth.CodeTokenMissing, map[string]any{}},
		{"missing-empty-auth", auth.CodeTokenMissing, map[string]any{"auth": map[string]any{"user": "x"}}},
		{"malformed", auth.CodeTokenMalformed, map[string]any{"auth": map[string]any{"token": "not-a-jwt"}}},
		{"token-not-string", auth.CodeTokenMalformed, map[string]any{"auth": map[string]any{"token": 12}}},
		{"not-yet-valid", auth.CodeTokenNotYetValid, map[string]any{"auth": map[string]any{"token": notYet}}},
		{"rooms-wrong-type", auth.CodeTokenClaims, map[string]any{"auth": map[string]any{"token": badRooms}}},
	}
	for _, r := range refusals {
		attempts = append(attempts, connectAttempt{Name: r.name, Opts: r.opts})
	}

	res := connectAll(t, n.URL, attempts...)

	for name, sub := range subs {
		r := res[name]
		if !r.Connected {
			t.Errorf("%s: refused: %+v", name, r.Error)
			continue
		}
		ts := name[strings.Index(name, "/")+1:]
		if want := map[string]string{"polling": "polling", "websocket": "websocket", "upgrade": "websocket"}[ts]; r.Transport != want {
			t.Errorf("%s: transport %q, want %q", name, r.Transport, want)
		}
		if len(r.Acks) != 2 || errCode(r.Acks[0].First()) != "forbidden" || !isOK(r.Acks[1].First()) {
			t.Errorf("%s (sub %s): leave acks %+v: the node does not see the token's sub", name, sub, r.Acks)
		}
	}
	for _, want := range refusals {
		r := res[want.name]
		if r.Connected || r.Error == nil {
			t.Errorf("%s: connected, want refused with %s", want.name, want.code)
			continue
		}
		var data map[string]any
		_ = json.Unmarshal(r.Error.Data, &data)
		reason, _ := data["reason"].(string)
		if r.Error.Message != "unauthorized" || data["code"] != want.code || reason == "" || len(data) != 2 {
			t.Errorf("%s: connect_error %q %s, want \"unauthorized\" {\"code\":%q,\"reason\":...}", want.name, r.Error.Message, r.Error.Data, want.code)
		}
	}
	n.wantMetric("herald_auth_failures_total", `code="token_expired"`, 3)
	n.wantMetric("herald_auth_failures_total", `code="token_signature"`, 1)
}

// TestE2EJWTOptions checks issuer and audience settings and a token
// sources precedence: the auth payload wins over the query parameter.
func TestE2EJWTOptions(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.Auth.JWT.Issuer = "https://issuer.test"
	cfg.Auth.JWT.Audience = []string{"herald"}
	n := startNode(t, cfg)

	good := token(t, auth.Claims{Subject: "ann", Issuer: "https://issuer.test", Audience: []string{"herald"}})
	noIss := token(t, auth.Claims{Subject: "ann", Audience: []string{"herald"}})
	wrongAud := token(t, auth.Claims{Subject: "ann", Issuer: "https://issuer.test", Audience: []string{"other"}})

	if _, _, err := dial(t, n, "", map[string]string{"token": good}); err != nil {
		t.Errorf("good token: %v", err)
	}
	// auth.jwt.leeway (30 s by default) tolerates a token expired 10 s ago.
	late := token(t, auth.Claims{Subject: "ann", Issuer: "https://issuer.test", Audience: []string{"herald"}, TTL: -10 * time.Second})
	if _, _, err := dial(t, n, "", map[string]string{"token": late}); err != nil {
		t.Errorf("token expired within the leeway: %v", err)
	}
	for name, c := range map[string]struct{ tok, code string }{
		"no issuer":       {noIss, auth.CodeTokenIssuer},
		"wrong audience":  {wrongAud, auth.CodeTokenAudience},
		"payload wins":    {"garbage", auth.CodeTokenMalformed}, // query holds a good token
		"empty auth json": {"", auth.CodeTokenMissing},
	} {
		query := ""
		if name == "payload wins" {
			query = "token=" + good
		}
		var payload any = map[string]string{"token": c.tok}
		if c.tok == "" {
			payload = map[string]string{}
		}
		_, _, err := dial(t, n, query, payload)
		ce, ok := err.(*enginetest.ConnectError)
		if !ok {
			t.Errorf("%s: err %v, want a connect_error", name, err)
			continue
		}
		var data map[string]string
		_ = json.Unmarshal(ce.Data(), &data)
		if ce.Message() != "unauthorized" || data["code"] != c.code {
			t.Errorf("%s: connect_error %q %s, want code %s", name, ce.Message(), ce.Data(), c.code)
		}
	}
}

// TestE2EDevSecret runs a node with no secret configured: it creates the
// development secret in its data directory, and tokens signed with
// gateway.DevSecret (what `herald token` does) are accepted, by this node
// and by the next one using the same directory.
func TestE2EDevSecret(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.Auth.JWT.Secret = ""
	cfg.DataDir = filepath.Join(t.TempDir(), "state")
	n := startNode(t, cfg)

	secret, path, err := gateway.DevSecret(cfg.DataDir)
	if err != nil {
		t.Fatalf("DevSecret: %v", err)
	}
	if path != filepath.Join(cfg.DataDir, "dev-jwt-secret") || len(secret) < 32 {
		t.Errorf("dev secret at %s, %d bytes", path, len(secret))
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("dev secret file: %v, mode %v; want 0600", err, fi.Mode())
	}
	if fi, err := os.Stat(cfg.DataDir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("data dir: %v, mode %v; want 0700", err, fi.Mode())
	}
	tok := signWith(t, string(secret), auth.Claims{Subject: "dev", Join: []string{"dev:*"}})
	_, s := mustDial(t, n, tok)
	if ack := emitAck(t, s, "room:join", "dev:1"); !isOK(ack) {
		t.Errorf("join with a dev token: %v", ack)
	}
	// The test secret is not the development secret.
	_, _, err = dial(t, n, "", map[string]string{"token": userToken(t, "dev")})
	if ce, ok := err.(*enginetest.ConnectError); !ok || !strings.Contains(string(ce.Data()), auth.CodeTokenSignature) {
		t.Errorf("token signed with another secret: %v", err)
	}

	// A second node with the same data directory reuses the secret.
	cfg2 := cfg
	n2 := startNode(t, cfg2)
	if _, _, err := dial(t, n2, "", map[string]string{"token": tok}); err != nil {
		t.Errorf("second node refused the dev token: %v", err)
	}

	// DataDir falls back to $XDG_DATA_HOME/herald, then ~/.local/share/herald.
	env := map[string]string{"XDG_DATA_HOME": "/x", "HOME": "/home/h"}
	if d, _ := gateway.DataDir("", func(k string) string { return env[k] }); d != "/x/herald" {
		t.Errorf("DataDir with XDG_DATA_HOME = %q", d)
	}
	delete(env, "XDG_DATA_HOME")
	if d, _ := gateway.DataDir("", func(k string) string { return env[k] }); d != "/home/h/.local/share/herald" {
		t.Errorf("DataDir with HOME = %q", d)
	}
	if _, err := gateway.DataDir("", func(string) string { return "" }); err == nil {
		t.Errorf("DataDir with no HOME: no error")
	}
}

// TestE2EConnectHook runs auth.mode hook: the node POSTs the handshake to
// the backend, which grants rooms, rights and data, or refuses with a
// message and data that reach the client's connect_error.
func TestE2EConnectHook(t *testing.T) {
	t.Parallel()
	hook := newBackend(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		var req struct {
			Auth struct {
				Token string `json:"token"`
			} `json:"auth"`
		}
		_ = json.Unmarshal(body, &req)
		switch req.Auth.Token {
		case "good":
			writeJSON(w, 200, `{"user_id":"u-42","rooms":["team:7"],"join":["chat:*"],"publish":["chat:*"],"data":{"plan":"pro","n":3},"extra":"ignored"}`)
		case "int":
			writeJSON(w, 200, `{"user_id":42}`)
		case "bad":
			writeJSON(w, 401, `{"message":"session expired","data":{"code":"session_expired","retry":false}}`)
		case "forbid":
			w.WriteHeader(403)
		case "crash":
			writeJSON(w, 500, `{"message":"internal details"}`)
		case "nouser":
			writeJSON(w, 200, `{"rooms":["x"]}`)
		}
	})
	cfg := testConfig(t)
	cfg.Auth.Mode = config.AuthHook
	cfg.Auth.JWT.Secret = ""
	cfg.Auth.Hook.URL = hook.URL + "/connect"
	cfg.Auth.Hook.Headers = map[string]config.Secret{"Authorization": "Bearer hook-key"}
	n := startNode(t, cfg)

	// The exact handshake the backend sees, from the official client over
	// WebSocket with a query parameter and extra headers.
	res := connectAll(t, n.URL, connectAttempt{
		Name: "good",
		Opts: map[string]any{
			"auth":         map[string]any{"token": "good"},
			"query":        map[string]any{"room": "a"},
			"extraHeaders": map[string]any{"Authorization": "Bearer client", "X-Custom": "no", "Cookie": "sid=1"},
			"transports":   []string{"websocket"},
		},
		Emits: []any{withAck("room:join", "chat:9"), withAck("room:join", "team:8"), withAck("room:leave", "user:u-42")},
	})
	g := res["good"]
	if !g.Connected {
		t.Fatalf("granted client refused: %+v", g.Error)
	}
	if len(g.Acks) != 3 || !isOK(g.Acks[0].First()) || errCode(g.Acks[1].First()) != "forbidden" || errCode(g.Acks[2].First()) != "forbidden" {
		t.Errorf("acks of a granted socket: %+v", g.Acks)
	}
	req := hook.next(t, 2*time.Second)
	if req.Method != "POST" || req.Path != "/connect" || req.Header.Get("Authorization") != "Bearer hook-key" ||
		!strings.HasPrefix(req.Header.Get("Content-Type"), "application/json") {
		t.Errorf("hook request %s %s headers %v", req.Method, req.Path, req.Header)
	}
	// Only the allowed headers pass (X-Custom does not); the official
	// client's WebSocket transport sends no User-Agent or Origin.
	want := `{"namespace":"/","auth":{"token":"good"},` +
		`"query":{"EIO":["4"],"room":["a"],"transport":["websocket"]},` +
		`"headers":{"Authorization":["Bearer client"],"Cookie":["sid=1"]},"address":"127.0.0.1"}`
	if !jsonEq(t, string(req.Body), want) {
		t.Errorf("connect hook body\n got %s\nwant %s", req.Body, want)
	}

	// Rooms and data of a granted socket, seen on the node.
	_, s := mustDialAuth(t, n, map[string]string{"token": "good"})
	hook.next(t, 2*time.Second)
	sock := findSocket(t, n, s.ID)
	rooms, wantRooms := sock.Rooms(), []string{s.ID, "team:7", "user:u-42"}
	sort.Strings(rooms)
	sort.Strings(wantRooms)
	if !slices.Equal(rooms, wantRooms) {
		t.Errorf("granted socket rooms %v", rooms)
	}
	if d := sock.Data(); fmt.Sprint(d["plan"]) != "pro" || fmt.Sprint(d["n"]) != "3" || d["user_id"] != "u-42" {
		t.Errorf("granted socket data %v", d)
	}
	_, s2 := mustDialAuth(t, n, map[string]string{"token": "int"})
	hook.next(t, 2*time.Second)
	if id, _ := findSocket(t, n, s2.ID).Get("user_id"); id != "42" {
		t.Errorf("integer user_id became %v", id)
	}

	// Refusals and failures, from the official client.
	res = connectAll(t, n.URL,
		connectAttempt{Name: "bad", Opts: map[string]any{"auth": map[string]any{"token": "bad"}}},
		connectAttempt{Name: "forbid", Opts: map[string]any{"auth": map[string]any{"token": "forbid"}}},
		connectAttempt{Name: "crash", Opts: map[string]any{"auth": map[string]any{"token": "crash"}}},
		connectAttempt{Name: "nouser", Opts: map[string]any{"auth": map[string]any{"token": "nouser"}}},
	)
	for name, want := range map[string]struct{ msg, data string }{
		"bad":    {"session expired", `{"code":"session_expired","retry":false}`},
		"forbid": {"Forbidden", `null`},
		"crash":  {"service unavailable", `{"code":"backend_status"}`},
		"nouser": {"service unavailable", `{"code":"backend_invalid"}`},
	} {
		r := res[name]
		if r.Connected || r.Error == nil {
			t.Errorf("%s: connected", name)
			continue
		}
		data := string(r.Error.Data)
		if data == "" {
			data = "null"
		}
		if r.Error.Message != want.msg || !jsonEq(t, data, want.data) {
			t.Errorf("%s: connect_error %q %s, want %q %s", name, r.Error.Message, data, want.msg, want.data)
		}
	}
}

// TestE2EAnonymous runs auth.mode anonymous: no token needed, a random
// user id per socket, and the configured room rights apply.
// TestE2EAuthBusy: with every identification slot (half the handler
// workers) taken by connections waiting on a slow connect hook, the next
// connection is refused at once with "service unavailable" and code
// auth_busy, instead of waiting for a worker; once the hook answers, a
// connection gets through again.
func TestE2EAuthBusy(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	hook := newBackend(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		<-release
		writeJSON(w, 200, `{"user_id":"u"}`)
	})
	var once sync.Once
	open := func() { once.Do(func() { close(release) }) }
	t.Cleanup(open) // before the backend closes, which waits for its handlers
	cfg := testConfig(t)
	cfg.Auth.Mode = config.AuthHook
	cfg.Auth.JWT.Secret = ""
	cfg.Auth.Hook.URL = hook.URL + "/connect"
	cfg.Engine.Workers = 2 // one identification slot
	n := startNode(t, cfg)

	first := make(chan error, 1)
	go func() {
		_, _, err := dial(t, n, "", nil)
		first <- err
	}()
	hook.next(t, 5*time.Second) // the first connection holds the slot
	_, _, err := dial(t, n, "", nil)
	ce, ok := err.(*enginetest.ConnectError)
	if !ok || ce.Message() != "service unavailable" || !strings.Contains(string(ce.Data()), `"auth_busy"`) {
		t.Fatalf("connection while the slot is taken: %v, want service unavailable with auth_busy", err)
	}
	open()
	if err := <-first; err != nil {
		t.Fatalf("the waiting connection: %v", err)
	}
	if _, _, err := dial(t, n, "", nil); err != nil {
		t.Fatalf("connection after the hook answered: %v", err)
	}
	n.wantMetric("herald_auth_failures_total", `code="auth_busy"`, 1)
}

func TestE2EAnonymous(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.Auth.Mode = config.AuthAnonymous
	cfg.Auth.JWT.Secret = ""
	cfg.Rooms.Join = []string{"lobby:*"}
	n := startNode(t, cfg)
	if !strings.Contains(n.logs.String(), "ANONYMOUS") {
		t.Errorf("anonymous mode is not announced in the log")
	}
	res := connectAll(t, n.URL,
		connectAttempt{Name: "a", Emits: []any{withAck("room:join", "lobby:1"), withAck("room:join", "chat:1")}},
		connectAttempt{Name: "b", Opts: map[string]any{"auth": map[string]any{"token": "whatever"}, "transports": []string{"websocket"}}},
	)
	for name, r := range res {
		if !r.Connected {
			t.Errorf("%s: refused: %+v", name, r.Error)
		}
	}
	if a := res["a"].Acks; len(a) != 2 || !isOK(a[0].First()) || errCode(a[1].First()) != "forbidden" {
		t.Errorf("anonymous joins: %+v", a)
	}
	_, s1 := mustDialAuth(t, n, nil)
	_, s2 := mustDialAuth(t, n, nil)
	id1, _ := findSocket(t, n, s1.ID).Get("user_id")
	id2, _ := findSocket(t, n, s2.ID).Get("user_id")
	u1, _ := id1.(string)
	if !strings.HasPrefix(u1, "anon-") || id1 == id2 {
		t.Errorf("anonymous user ids %v, %v", id1, id2)
	}
	if !findSocket(t, n, s1.ID).InRoom("user:" + u1) {
		t.Errorf("anonymous socket not in its user room")
	}
}
