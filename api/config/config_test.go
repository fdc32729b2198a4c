package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "herald.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaultIsValidAndLoopbackOnly(t *testing.T) {
	cfg, err := Load(Source{})
	if err != nil {
		t.Fatalf("the embedded default must be valid: %v", err)
	}
	for _, a := range []string{cfg.Listen, cfg.APIListen} {
		if !strings.HasPrefix(a, "127.0.0.1:") {
			t.Errorf("default address %s is not loopback", a)
		}
	}
	if cfg.Auth.Mode != AuthJWT {
		t.Errorf("default must use JWT auth, got mode %q", cfg.Auth.Mode)
	}
}

func TestPrecedenceFileEnvSet(t *testing.T) {
	file := writeFile(t, `
listen: 127.0.0.1:4000
api_listen: 127.0.0.1:4001
engine:
  ping_interval: 10s
  ping_timeout: 7s
limits:
  event_rate: 5
`)
	env := []string{
		"HERALD_ENGINE_PING_INTERVAL=20s",
		"HERALD_LIMITS_EVENT_RATE=9",
		"UNRELATED=1",
	}
	cfg, err := Load(Source{File: file, Env: env, Sets: []string{"engine.ping_interval=30s", "engine.transports=websocket"}})
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"listen from file", cfg.Listen, "127.0.0.1:4000"},
		{"ping_timeout from file", cfg.Engine.PingTimeout.D(), 7 * time.Second},
		{"event_rate from env over file", cfg.Limits.EventRate, 9.0},
		{"ping_interval from set over env", cfg.Engine.PingInterval.D(), 30 * time.Second},
		{"transports list from set", strings.Join(cfg.Engine.Transports, ","), "websocket"},
		{"untouched default", cfg.Engine.PingTimeout.D() != 0, true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

// TestKubernetesServiceLinksAreNotSettings: a Service named herald makes
// Kubernetes set HERALD_SERVICE_HOST, HERALD_PORT and the like in every
// pod; they must not stop the node, while a misspelt setting still does.
func TestKubernetesServiceLinksAreNotSettings(t *testing.T) {
	env := []string{
		"HERALD_SERVICE_HOST=10.96.0.12",
		"HERALD_SERVICE_PORT=3000",
		"HERALD_SERVICE_PORT_HTTP=3000",
		"HERALD_PORT=tcp://10.96.0.12:3000",
		"HERALD_PORT_3000_TCP=tcp://10.96.0.12:3000",
		"HERALD_PORT_3000_TCP_PROTO=tcp",
		"HERALD_PORT_3000_TCP_PORT=3000",
		"HERALD_PORT_3000_TCP_ADDR=10.96.0.12",
	}
	if _, err := Load(Source{Env: env}); err != nil {
		t.Fatalf("service link variables: %v", err)
	}
	if _, err := Load(Source{Env: append(env, "HERALD_PORTS=1")}); err == nil || !strings.Contains(err.Error(), "HERALD_PORTS: no such setting") {
		t.Fatalf("HERALD_PORTS: %v, want no such setting", err)
	}
}

func TestConfigFileFromEnvironment(t *testing.T) {
	file := writeFile(t, "listen: 127.0.0.1:4100\n")
	cfg, err := Load(Source{Env: []string{"HERALD_CONFIG=" + file}})
	if err != nil || cfg.Listen != "127.0.0.1:4100" {
		t.Fatalf("HERALD_CONFIG not honoured: %v %s", err, cfg.Listen)
	}
}

func TestSecretsFromEnvironmentExpansion(t *testing.T) {
	file := writeFile(t, "auth:\n  jwt:\n    secret: ${JWT_SECRET}\n")
	secret := strings.Repeat("k", 40)
	cfg, err := Load(Source{File: file, Env: []string{"JWT_SECRET=" + secret}})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Auth.JWT.Secret.Reveal() != secret {
		t.Fatalf("secret not expanded: %q", cfg.Auth.JWT.Secret.Reveal())
	}
	_, err = Load(Source{File: file})
	if err == nil || !strings.Contains(err.Error(), "JWT_SECRET") {
		t.Fatalf("an unset variable must be named in the error, got %v", err)
	}
}

func TestLoadErrorsNameTheKey(t *testing.T) {
	cases := []struct {
		name string
		file string
		env  []string
		sets []string
		want string
	}{
		{name: "unknown key", file: "listn: 127.0.0.1:1\n", want: "field listn not found"},
		{name: "wrong type", file: "engine:\n  max_payload: lots\n", want: "max_payload"},
		{name: "bad duration", file: "engine:\n  ping_interval: soon\n", want: "duration"},
		{name: "bad address", file: "listen: nowhere\n", want: "listen: want host:port"},
		{name: "same ports", file: "listen: 127.0.0.1:5000\napi_listen: 127.0.0.1:5000\n", want: "api_listen: must differ"},
		{name: "bad transport", sets: []string{"engine.transports=carrier-pigeon"}, want: `engine.transports: "carrier-pigeon" is not one of`},
		{name: "bad mode", sets: []string{"auth.mode=trust-me"}, want: "auth.mode"},
		{name: "short secret", sets: []string{"auth.jwt.secret=short"}, want: "auth.jwt.secret: must be at least 32 bytes for HS256"},
		{name: "unknown alg", sets: []string{"auth.jwt.algorithms=none"}, want: `auth.jwt.algorithms: "none" is not one of`},
		{name: "rsa without key", sets: []string{"auth.jwt.algorithms=RS256"}, want: "auth.jwt.public_keys"},
		{name: "hook without url", sets: []string{"auth.mode=hook"}, want: "auth.hook.url: is required"},
		{name: "forward without url", sets: []string{"backend.forward=chat:*"}, want: "backend.url: is required"},
		{name: "url without forward", sets: []string{"backend.url=http://127.0.0.1:9/x"}, want: "backend.forward"},
		{name: "bad backend url", sets: []string{"backend.url=ftp://x", "backend.forward=a"}, want: "backend.url: want an http or https URL"},
		{name: "negative rate", sets: []string{"limits.event_rate=-1"}, want: "limits.event_rate: must not be negative"},
		{name: "bad log level", env: []string{"HERALD_LOG_LEVEL=loud"}, want: "log.level"},
		{name: "unknown env", env: []string{"HERALD_LISTN=1"}, want: "HERALD_LISTN: no such setting"},
		{name: "bad env int", env: []string{"HERALD_ENGINE_MAX_PAYLOAD=big"}, want: "HERALD_ENGINE_MAX_PAYLOAD: want an integer"},
		{name: "bad set", sets: []string{"nonsense"}, want: "want path=value"},
		{name: "set a section", sets: []string{"engine=1"}, want: "is a section"},
		{name: "set a map", sets: []string{"backend.headers=x"}, want: "set it in the config file"},
		{name: "api key too short", file: "api:\n  keys:\n    - {name: b, key: short, scopes: [emit]}\n", want: "api.keys[0].key"},
		{name: "api key scope", file: "api:\n  keys:\n    - {name: b, key: 0123456789abcdefgh, scopes: [root]}\n", want: `api.keys[0].scopes: "root"`},
		{name: "duplicate key name", file: "api:\n  keys:\n    - {name: b, key: 0123456789abcdefgh, scopes: [emit]}\n    - {name: b, key: 0123456789abcdefgi, scopes: [emit]}\n", want: `"b" is used twice`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := Source{Env: c.env, Sets: c.sets}
			if c.file != "" {
				src.File = writeFile(t, c.file)
			}
			_, err := Load(src)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestValidationReportsEveryProblem(t *testing.T) {
	_, err := Load(Source{Sets: []string{"listen=x", "log.format=xml"}})
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("got %v, want ErrInvalid", err)
	}
	for _, want := range []string{"listen:", "log.format:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestRenderRedactsSecrets(t *testing.T) {
	file := writeFile(t, `
auth:
  jwt:
    secret: the-jwt-secret-that-is-long-enough-1234
backend:
  url: http://127.0.0.1:9000/events
  forward: ["chat:*"]
  headers:
    Authorization: Bearer backend-credential
api:
  keys:
    - {name: backend, key: api-key-value-0123456789, scopes: [emit]}
`)
	cfg, err := Load(Source{File: file})
	if err != nil {
		t.Fatal(err)
	}
	out, err := cfg.Render()
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"the-jwt-secret", "backend-credential", "api-key-value"} {
		if strings.Contains(string(out), secret) {
			t.Errorf("rendered config leaks %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(string(out), "<redacted>") || !strings.Contains(string(out), "http://127.0.0.1:9000/events") {
		t.Errorf("rendered config lost its shape:\n%s", out)
	}
}

func TestEveryPathHasAUniqueEnvName(t *testing.T) {
	seen := map[string]string{}
	for _, p := range Paths() {
		name := EnvName(p)
		if other, dup := seen[name]; dup {
			t.Errorf("%s and %s both map to %s", p, other, name)
		}
		seen[name] = p
		var c Config
		if err := c.Set(p, ""); err != nil && strings.Contains(err.Error(), "no setting") {
			t.Errorf("path %s from Paths is not settable: %v", p, err)
		}
	}
	if len(seen) < 50 {
		t.Errorf("only %d settings found; the schema walk is broken", len(seen))
	}
}

func TestExampleFileIsValidAndComplete(t *testing.T) {
	example := filepath.Join("..", "..", "herald.example.yaml")
	data, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"JWT_SECRET=" + strings.Repeat("s", 32), "PUSH_API_KEY=" + strings.Repeat("a", 32)}
	if _, err := Load(Source{File: example, Env: env}); err != nil {
		t.Fatalf("herald.example.yaml does not load: %v", err)
	}
	for _, p := range Paths() {
		leaf := p[strings.LastIndex(p, ".")+1:]
		if !strings.Contains(string(data), leaf+":") {
			t.Errorf("herald.example.yaml does not document %s", p)
		}
	}
}

func TestExpansionKeepsTypes(t *testing.T) {
	file := writeFile(t, "engine:\n  max_payload: ${SIZE}\nauth:\n  jwt:\n    secret: ${S}\n")
	secret := "true: #" + strings.Repeat("x", 40)
	cfg, err := Load(Source{File: file, Env: []string{"SIZE=2048", "S=" + secret}})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Engine.MaxPayload != 2048 || cfg.Auth.JWT.Secret.Reveal() != secret {
		t.Fatalf("got max_payload %d secret %q", cfg.Engine.MaxPayload, cfg.Auth.JWT.Secret.Reveal())
	}
	file = writeFile(t, "auth:\n  jwt:\n    secret: ${S}\n")
	cfg, err = Load(Source{File: file, Env: []string{"S=" + strings.Repeat("1", 40)}})
	if err != nil || cfg.Auth.JWT.Secret.Reveal() != strings.Repeat("1", 40) {
		t.Fatalf("numeric-looking secret: %v %q", err, cfg.Auth.JWT.Secret.Reveal())
	}
}

// TestEmptyOrNullExpansion: a variable set but empty is refused like an
// unset one, since a secret that expands to nothing would turn signing or
// token checks off; one that reads "null" is that string, not null.
func TestEmptyOrNullExpansion(t *testing.T) {
	file := writeFile(t, "api:\n  signing:\n    secret: ${SIGNING_SECRET}\n")
	if _, err := Load(Source{File: file, Env: []string{"SIGNING_SECRET="}}); err == nil || !strings.Contains(err.Error(), "SIGNING_SECRET") {
		t.Fatalf("empty variable: %v, want an error naming it", err)
	}
	// Nor may an empty HERALD_* variable or --set clear a secret.
	if _, err := Load(Source{Env: []string{"HERALD_API_SIGNING_SECRET="}}); err == nil || !strings.Contains(err.Error(), "HERALD_API_SIGNING_SECRET") {
		t.Fatalf("empty HERALD_API_SIGNING_SECRET: %v, want an error naming it", err)
	}
	if _, err := Load(Source{Sets: []string{"auth.jwt.secret="}}); err == nil || !strings.Contains(err.Error(), "auth.jwt.secret") {
		t.Fatalf("--set auth.jwt.secret=: %v, want an error naming it", err)
	}
	file = writeFile(t, "webhooks:\n  secret: ${S}\n")
	cfg, err := Load(Source{File: file, Env: []string{"S=null"}})
	if err != nil || cfg.Webhooks.Secret.Reveal() != "null" {
		t.Fatalf("variable reading null: %v %q, want the string null", err, cfg.Webhooks.Secret.Reveal())
	}
}

func TestCommentsAreNotExpanded(t *testing.T) {
	file := writeFile(t, "# uses ${NOT_SET}\nlisten: 127.0.0.1:4200 # ${ALSO_NOT_SET}\n")
	if _, err := Load(Source{File: file}); err != nil {
		t.Fatalf("a variable in a comment must be ignored: %v", err)
	}
}
