package engine_test

// End-to-end tests: a real Herald server on a loopback port, driven by the
// official socket.io-client (npm socket.io-client 4.8.4) from the Node.js
// scripts in testdata/e2e/, once per transport mode (polling only,
// WebSocket only, polling upgraded to WebSocket). They need node and the
// root's node_modules (`npm ci`), which CI installs; without them they fail.

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/heraldrt/herald/engine"
)

// whoami is what the "whoami" handler acks: the server's view of a socket.
type whoami struct {
	Nsp       string          `json:"nsp"`
	ID        string          `json:"id"`
	ConnID    string          `json:"connId"`
	Transport string          `json:"transport"`
	Auth      json.RawMessage `json:"auth"`
}

func whoamiHandler(e *engine.Event) {
	s := e.Socket()
	_ = e.Ack(map[string]any{
		"nsp":       s.Namespace().Name(),
		"id":        s.ID(),
		"connId":    s.ConnID(),
		"transport": s.Transport(),
		"auth":      s.Handshake().Auth,
	})
}

// tokenMiddleware admits sockets whose auth token is want.
func tokenMiddleware(want string) engine.Middleware {
	return func(s *engine.Socket) error {
		var a struct {
			Token *string `json:"token"`
		}
		if err := s.Handshake().AuthValue(&a); err != nil {
			return err
		}
		if a.Token == nil {
			return engine.NewConnectError("no token", map[string]any{"nsp": s.Namespace().Name()})
		}
		if *a.Token != want {
			return engine.NewConnectError("unauthorized", map[string]any{
				"nsp": s.Namespace().Name(), "code": 401, "got": *a.Token,
			})
		}
		return nil
	}
}

type connectError struct {
	Message   string         `json:"message"`
	Data      map[string]any `json:"data"`
	Connected bool           `json:"connected"`
}

func TestE2EConnectMultiplexAuth(t *testing.T) {
	e2eEachMode(t, func(t *testing.T, mode string) {
		_, url := e2eServer(t, "127.0.0.1:0", engine.Config{}, func(srv *engine.Server) {
			srv.Use(tokenMiddleware("root-token"))
			srv.Of("/").On("whoami", whoamiHandler)
			admin := srv.Of("/admin")
			admin.Use(tokenMiddleware("admin-token"))
			admin.On("whoami", whoamiHandler)
		})
		var res struct {
			Transport                   string
			RootEngineID, AdminEngineID string
			RootSid, AdminSid           string
			RootWho, AdminWho           whoami
			RootStillWho, AdminStillWho whoami
			EngineTransport             string
			BadAdmin                    connectError
			RootBWho                    whoami
			RootBEngineID               string
			BadRoot, NoAuth, Unknown    connectError
		}
		e2eRun(t, &res, "connect.mjs", url, mode)

		want := e2eWant(mode)
		if res.Transport != want || res.EngineTransport != want {
			t.Errorf("client transport = %q/%q, want %q", res.Transport, res.EngineTransport, want)
		}
		// One engine connection carries both namespaces, on both sides.
		if res.RootEngineID == "" || res.RootEngineID != res.AdminEngineID {
			t.Errorf("client engine ids differ: / %q, /admin %q", res.RootEngineID, res.AdminEngineID)
		}
		for _, w := range []whoami{res.RootWho, res.AdminWho, res.RootStillWho, res.AdminStillWho} {
			if w.ConnID != res.RootEngineID {
				t.Errorf("server sees %s on connection %q, client engine id is %q", w.Nsp, w.ConnID, res.RootEngineID)
			}
			if w.Transport != want {
				t.Errorf("server sees %s on transport %q, want %q", w.Nsp, w.Transport, want)
			}
		}
		if res.RootWho.Nsp != "/" || res.AdminWho.Nsp != "/admin" {
			t.Errorf("namespaces = %q, %q", res.RootWho.Nsp, res.AdminWho.Nsp)
		}
		if res.RootWho.ID != res.RootSid || res.AdminWho.ID != res.AdminSid || res.RootSid == res.AdminSid {
			t.Errorf("socket ids: client / %q /admin %q, server / %q /admin %q",
				res.RootSid, res.AdminSid, res.RootWho.ID, res.AdminWho.ID)
		}
		if res.RootSid == res.RootEngineID {
			t.Errorf("socket id equals the engine id %q", res.RootSid)
		}
		var auth map[string]any
		if err := json.Unmarshal(res.AdminWho.Auth, &auth); err != nil ||
			!reflect.DeepEqual(auth, map[string]any{"token": "admin-token", "user": "ann"}) {
			t.Errorf("server saw /admin auth %s (%v)", res.AdminWho.Auth, err)
		}

		// Refusals carry the middleware's message and data.
		wantData := func(nsp, got string) map[string]any {
			return map[string]any{"nsp": nsp, "code": float64(401), "got": got}
		}
		if res.BadAdmin.Message != "unauthorized" || !reflect.DeepEqual(res.BadAdmin.Data, wantData("/admin", "wrong")) || res.BadAdmin.Connected {
			t.Errorf("bad /admin token: %+v", res.BadAdmin)
		}
		if res.RootBWho.Nsp != "/" || res.RootBWho.ConnID != res.RootBEngineID || res.RootBEngineID == res.RootEngineID {
			t.Errorf("/ beside a refused /admin: %+v (engine %q, first connection %q)", res.RootBWho, res.RootBEngineID, res.RootEngineID)
		}
		if res.BadRoot.Message != "unauthorized" || !reflect.DeepEqual(res.BadRoot.Data, wantData("/", "nope")) {
			t.Errorf("bad / token: %+v", res.BadRoot)
		}
		if res.NoAuth.Message != "no token" || !reflect.DeepEqual(res.NoAuth.Data, map[string]any{"nsp": "/"}) {
			t.Errorf("no auth: %+v", res.NoAuth)
		}
		if res.Unknown.Message != "Invalid namespace" {
			t.Errorf("unknown namespace: %+v", res.Unknown)
		}
	})
}
