package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/heraldrt/herald/api/auth"
	"github.com/heraldrt/herald/api/config"
	"github.com/heraldrt/herald/api/gateway"
	"github.com/heraldrt/herald/engine/enginetest"
)

const secret = "cmd-test-secret-0123456789abcdefghij" // 36 bytes

// herald runs the command line and returns stdout, stderr and the error.
func herald(args ...string) (string, string, error) {
	var out, errb bytes.Buffer
	err := run(args, &out, &errb)
	return out.String(), errb.String(), err
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// printed is the part of `config print`'s YAML the tests look at.
type printed struct {
	Listen    string `yaml:"listen"`
	APIListen string `yaml:"api_listen"`
	Engine    struct {
		PingInterval string   `yaml:"ping_interval"`
		Transports   []string `yaml:"transports"`
	} `yaml:"engine"`
	Auth struct {
		Mode string `yaml:"mode"`
		JWT  struct {
			Secret string `yaml:"secret"`
		} `yaml:"jwt"`
		Hook struct {
			Headers map[string]string `yaml:"headers"`
		} `yaml:"hook"`
	} `yaml:"auth"`
	Backend struct {
		Headers map[string]string `yaml:"headers"`
	} `yaml:"backend"`
	Webhooks struct {
		Secret string `yaml:"secret"`
	} `yaml:"webhooks"`
	Limits struct {
		EventRate float64 `yaml:"event_rate"`
	} `yaml:"limits"`
	API struct {
		Keys []struct {
			Name string `yaml:"name"`
			Key  string `yaml:"key"`
		} `yaml:"keys"`
		Signing struct {
			Secret string `yaml:"secret"`
		} `yaml:"signing"`
	} `yaml:"api"`
}

func TestVersion(t *testing.T) {
	out, _, err := herald("version")
	if err != nil || out != "herald dev\n" {
		t.Errorf("herald version: %q %v", out, err)
	}
}

func TestUsageAndUnknownCommand(t *testing.T) {
	out, errOut, err := herald("bogus")
	if err == nil || err.Error() != `unknown command "bogus"` || out != "" || !strings.Contains(errOut, "Usage: herald <command>") {
		t.Errorf("herald bogus: err %v, stdout %q, stderr %q", err, out, errOut)
	}
	_, errOut, err = herald()
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(errOut, "Commands:") {
		t.Errorf("herald with no command: err %v, stderr %q", err, errOut)
	}
	out, _, err = herald("help")
	if err != nil || !strings.Contains(out, "config print") {
		t.Errorf("herald help: %q %v", out, err)
	}
	if _, _, err = herald("config"); err == nil || !strings.Contains(err.Error(), "herald config print") {
		t.Errorf("herald config: %v", err)
	}
	if _, _, err = herald("config", "show"); err == nil {
		t.Errorf("herald config show: no error")
	}
	if _, errOut, err = herald("serve", "--no-such-flag"); err == nil || !strings.Contains(errOut, "no-such-flag") {
		t.Errorf("herald serve --no-such-flag: %v %q", err, errOut)
	}
}

// TestConfigPrint: the effective configuration from a file, the
// environment and flags, in that order of precedence, with every secret
// redacted.
func TestConfigPrint(t *testing.T) {
	t.Setenv("TEST_JWT_SECRET", secret)
	t.Setenv("HERALD_LIMITS_EVENT_RATE", "7")
	t.Setenv("HERALD_API_LISTEN", "127.0.0.1:4501")
	t.Setenv("HERALD_ENGINE_PING_INTERVAL", "11s")
	file := writeFile(t, "herald.yaml", `
listen: 127.0.0.1:4000
api_listen: 127.0.0.1:4001
engine:
  ping_interval: 9s
auth:
  jwt:
    secret: ${TEST_JWT_SECRET}
  hook:
    headers: {Authorization: "Bearer hook-credential"}
backend:
  url: http://127.0.0.1:9/events
  forward: [chat]
  headers: {Authorization: "Bearer backend-credential"}
webhooks:
  secret: webhook-credential
api:
  keys:
    - {name: backend, key: push-key-credential-0001, scopes: [emit]}
  signing:
    secret: signing-credential-0123456789abcdef
`)
	out, errOut, err := herald("config", "print", "--config", file, "--set", "engine.ping_interval=13s",
		"--listen", "127.0.0.1:4600", "--set", "engine.transports=websocket")
	if err != nil {
		t.Fatalf("config print: %v\n%s", err, errOut)
	}
	for _, s := range []string{secret, "hook-credential", "backend-credential", "webhook-credential", "push-key-credential", "signing-credential"} {
		if strings.Contains(out, s) {
			t.Errorf("config print leaks %q:\n%s", s, out)
		}
	}
	var p printed
	if err := yaml.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("config print is not YAML: %v\n%s", err, out)
	}
	const r = "<redacted>"
	checks := []struct {
		name      string
		got, want any
	}{
		{"listen: flag over file", p.Listen, "127.0.0.1:4600"},
		{"api_listen: env over file", p.APIListen, "127.0.0.1:4501"},
		{"ping_interval: --set over env over file", p.Engine.PingInterval, "13s"},
		{"transports: --set", strings.Join(p.Engine.Transports, ","), "websocket"},
		{"event_rate: env over default", p.Limits.EventRate, 7.0},
		{"auth.jwt.secret", p.Auth.JWT.Secret, r},
		{"auth.hook.headers", p.Auth.Hook.Headers["Authorization"], r},
		{"backend.headers", p.Backend.Headers["Authorization"], r},
		{"webhooks.secret", p.Webhooks.Secret, r},
		{"api.keys[0].key", len(p.API.Keys) == 1 && p.API.Keys[0].Key == r && p.API.Keys[0].Name == "backend", true},
		{"api.signing.secret", p.API.Signing.Secret, r},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}

	// HERALD_CONFIG names the file when --config is absent; the printed
	// configuration loads again and validates.
	t.Setenv("HERALD_CONFIG", file)
	out2, _, err := herald("config", "print")
	if err != nil || !strings.Contains(out2, "listen: 127.0.0.1:4000") {
		t.Errorf("config print with HERALD_CONFIG: %v\n%s", err, out2)
	}
	if !strings.Contains(out2, "ping_interval: 11s") {
		t.Errorf("config print with HERALD_CONFIG: env HERALD_ENGINE_PING_INTERVAL not applied:\n%s", out2)
	}
	t.Setenv("HERALD_CONFIG", "")
	empty, _, err := herald("config", "print", "--set", "auth.mode=anonymous")
	if err != nil {
		t.Fatal(err)
	}
	reloaded, err := config.Load(config.Source{File: writeFile(t, "printed.yaml", empty)})
	if err != nil || reloaded.Auth.Mode != "anonymous" || reloaded.Limits.EventRate != 7 {
		t.Errorf("the printed configuration does not load back: %v %+v", err, reloaded.Auth)
	}
}

// TestConfigPrintExample: the documented example loads with its
// variables set.
func TestConfigPrintExample(t *testing.T) {
	t.Setenv("JWT_SECRET", secret)
	t.Setenv("PUSH_API_KEY", "example-push-key-0123456789")
	out, _, err := herald("config", "print", "--config", filepath.Join("..", "..", "herald.example.yaml"))
	if err != nil {
		t.Fatalf("herald.example.yaml: %v", err)
	}
	if strings.Contains(out, secret) || strings.Contains(out, "example-push-key") {
		t.Errorf("secrets of the example leak:\n%s", out)
	}
}

// TestInvalidConfig: an invalid configuration stops every command with a
// message naming the key.
func TestInvalidConfig(t *testing.T) {
	t.Setenv("HERALD_NO_SUCH_SETTING", "1")
	if _, _, err := herald("config", "print"); err == nil || !strings.Contains(err.Error(), "HERALD_NO_SUCH_SETTING") {
		t.Errorf("unknown environment variable: %v", err)
	}
	os.Unsetenv("HERALD_NO_SUCH_SETTING")

	cases := []struct {
		args []string
		key  string
	}{
		{[]string{"config", "print", "--set", "limits.event_rate=-1"}, "limits.event_rate"},
		{[]string{"config", "print", "--set", "engine.ping_interval=0s"}, "engine.ping_interval: must be positive"},
		{[]string{"config", "print", "--set", "engine.ping_interval=soon"}, "engine.ping_interval"},
		{[]string{"config", "print", "--set", "no.such=1"}, `no setting "no.such"`},
		{[]string{"config", "print", "--set", "auth.mode=magic"}, "auth.mode"},
		{[]string{"config", "print", "--set", "auth.jwt.secret=short"}, "auth.jwt.secret: must be at least 32 bytes"},
		{[]string{"config", "print", "--listen", "nowhere"}, "listen: want host:port"},
		{[]string{"serve", "--set", "backend.url=http://127.0.0.1:9/x"}, "backend.forward"},
		{[]string{"serve", "--set", "auth.mode=hook"}, "auth.hook.url: is required"},
		{[]string{"serve", "--config", writeFile(t, "bad.yaml", "engine:\n  ping_intervall: 3s\n")}, "ping_intervall"},
		{[]string{"serve", "--config", writeFile(t, "bad2.yaml", "limits:\n  max_connections: many\n")}, "limits.max_connections"},
		{[]string{"serve", "--config", writeFile(t, "bad3.yaml", "auth:\n  jwt:\n    secret: ${UNSET_TEST_VARIABLE_X}\n")}, "UNSET_TEST_VARIABLE_X"},
		{[]string{"token", "--sub", "a", "--set", "log.level=loud"}, "log.level"},
	}
	for _, c := range cases {
		done := make(chan error, 1)
		go func() {
			_, _, err := herald(c.args...)
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), c.key) {
				t.Errorf("herald %s: error %v, want one naming %q", strings.Join(c.args, " "), err, c.key)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("herald %s did not stop on an invalid configuration", strings.Join(c.args, " "))
		}
	}
}

// TestToken: `herald token` mints a token the node's key verifies, with
// the rooms, patterns and lifetime asked for, issuer and audience from
// the configuration.
func TestToken(t *testing.T) {
	out, errOut, err := herald("token", "--sub", "alice", "--rooms", "team:1, team:2", "--join", "chat:*",
		"--publish", "chat:*,news", "--ttl", "10m", "--kid", "k1",
		"--set", "auth.jwt.secret="+secret, "--set", "auth.jwt.issuer=https://iss.test", "--set", "auth.jwt.audience=herald,other")
	if err != nil {
		t.Fatalf("token: %v\n%s", err, errOut)
	}
	tok := strings.TrimSpace(out)
	if strings.Count(out, "\n") != 1 || strings.Count(tok, ".") != 2 {
		t.Fatalf("token printed %q", out)
	}
	v, err := auth.NewVerifier(auth.Config{Algorithms: []string{"HS256"}, Secret: []byte(secret), Issuer: "https://iss.test", Audience: []string{"herald"}})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	id, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatalf("the minted token does not verify: %v", err)
	}
	if id.UserID != "alice" || !slices.Equal(id.Rooms, []string{"team:1", "team:2"}) ||
		!slices.Equal(id.Join, []string{"chat:*"}) || !slices.Equal(id.Publish, []string{"chat:*", "news"}) {
		t.Errorf("identity %+v", id)
	}
	if d := time.Until(id.Expires); d < 9*time.Minute || d > 11*time.Minute {
		t.Errorf("expires in %v, want 10m", d)
	}
	// Another secret does not verify it.
	other, _ := auth.NewVerifier(auth.Config{Algorithms: []string{"HS256"}, Secret: []byte(strings.Repeat("x", 32)), Issuer: "https://iss.test", Audience: []string{"herald"}})
	defer other.Close()
	if _, err := other.Verify(context.Background(), tok); err == nil {
		t.Errorf("the token verifies with another secret")
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"token"}, "--sub is required"},
		{[]string{"token", "--sub", "a", "--anonymous"}, "auth.mode is anonymous"},
		{[]string{"token", "--sub", "a", "--set", "auth.jwt.algorithms=RS256", "--set", "auth.jwt.jwks_url=http://127.0.0.1:9/jwks"}, "private_key_file"},
		{[]string{"token", "--sub", "a", "--ttl", "forever"}, "forever"},
	} {
		_, errOut, err := herald(c.args...)
		if err == nil || !strings.Contains(err.Error()+errOut, c.want) {
			t.Errorf("herald %s: %v %q, want %q", strings.Join(c.args, " "), err, errOut, c.want)
		}
	}
}

// TestTokenDevSecret: with no secret configured, `herald token` signs with
// the development secret in the data directory, and a node started with
// the same data directory accepts the token: the README's quick start.
func TestTokenDevSecret(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	out, errOut, err := herald("token", "--sub", "dev", "--join", "chat:*", "--set", "data_dir="+dir)
	if err != nil {
		t.Fatalf("token: %v\n%s", err, errOut)
	}
	tok := strings.TrimSpace(out)
	devSecret, _, err := gateway.DevSecret(dir)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := auth.NewVerifier(auth.Config{Algorithms: []string{"HS256"}, Secret: devSecret})
	defer v.Close()
	if id, err := v.Verify(context.Background(), tok); err != nil || id.UserID != "dev" {
		t.Fatalf("the token does not verify with the development secret: %v", err)
	}

	cfg, err := config.Load(config.Source{Sets: []string{"listen=127.0.0.1:0", "api_listen=127.0.0.1:0", "data_dir=" + dir, "log.level=error"}})
	if err != nil {
		t.Fatal(err)
	}
	g, err := gateway.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = g.Shutdown(ctx)
	}()
	sio, _ := g.Addrs()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := enginetest.Dial(ctx, "http://"+sio.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := c.Connect(ctx, "/", map[string]string{"token": tok})
	if err != nil {
		t.Fatalf("the node refused `herald token`'s token: %v", err)
	}
	a, err := s.EmitWithAck(ctx, "room:join", "chat:1")
	if err != nil || len(a.Raw) != 1 || string(a.Raw[0]) != `{"ok":true}` {
		t.Errorf("join: %v %s", err, a.Raw)
	}
}

// freeAddr is a loopback address nothing listens on, for serve's flags.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestServe runs `herald serve` until SIGTERM: it serves Socket.IO and
// health on the addresses from its flags, then drains, disconnects its
// clients and returns nil.
func TestServe(t *testing.T) {
	sio, api := freeAddr(t), freeAddr(t)
	done := make(chan error, 1)
	go func() {
		_, _, err := herald("serve", "--listen", sio, "--api-listen", api, "--anonymous", "--log-level", "error",
			"--set", "data_dir="+t.TempDir(), "--set", "shutdown_timeout=3s")
		done <- err
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + api + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		select {
		case err := <-done:
			t.Fatalf("serve returned early: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not answer /healthz on %s", api)
		}
		time.Sleep(20 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := enginetest.Dial(ctx, "http://"+sio)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := c.Connect(ctx, "/", nil)
	if err != nil {
		t.Fatalf("anonymous connect: %v", err)
	}
	// serve's signal.NotifyContext is registered before the node starts,
	// so the signal reaches serve, not the default handler.
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after SIGTERM: %v", err)
		}
	case <-time.After(8 * time.Second):
		t.Fatalf("serve did not return after SIGTERM")
	}
	if _, err := s.Next(ctx); err == nil {
		t.Errorf("the client is still connected after serve returned")
	}
	if _, err := http.Get("http://" + api + "/healthz"); err == nil {
		t.Errorf("the operator port still answers after serve returned")
	}
}
