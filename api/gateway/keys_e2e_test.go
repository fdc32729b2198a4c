package gateway_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/heraldrt/herald/api/auth"
	"github.com/heraldrt/herald/api/config"
	"github.com/heraldrt/herald/engine/enginetest"
)

// ecKey is a P-256 key pair with its PEM forms.
type ecKey struct {
	priv       *ecdsa.PrivateKey
	privPEM    []byte
	pubPEM     []byte
	pubPEMFile string
}

func newECKey(t *testing.T) ecKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	pub, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	e := ecKey{priv: k,
		privPEM: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
		pubPEM:  pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}),
	}
	e.pubPEMFile = filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(e.pubPEMFile, e.pubPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e ecKey) sign(t *testing.T, kid string, c auth.Claims) string {
	t.Helper()
	tok, err := auth.Sign(auth.SignConfig{Algorithm: "ES256", PrivateKeyPEM: e.privPEM, KeyID: kid}, c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (e ecKey) jwk(kid string) map[string]string {
	enc := base64.RawURLEncoding.EncodeToString
	b, _ := e.priv.PublicKey.Bytes() // uncompressed: 0x04 || X || Y
	return map[string]string{"kty": "EC", "crv": "P-256", "kid": kid, "alg": "ES256", "use": "sig",
		"x": enc(b[1:33]), "y": enc(b[33:65])}
}

// hs256With signs claims with HS256 and an arbitrary key, bypassing
// auth.Sign's checks: the algorithm-confusion attack.
func hs256With(key []byte, sub string) string {
	enc := base64.RawURLEncoding.EncodeToString
	head := enc([]byte(`{"alg":"HS256","typ":"JWT","kid":"k1"}`))
	body := enc(fmt.Appendf(nil, `{"sub":%q,"exp":%d}`, sub, time.Now().Add(time.Hour).Unix()))
	m := hmac.New(sha256.New, key)
	m.Write([]byte(head + "." + body))
	return head + "." + body + "." + enc(m.Sum(nil))
}

func refusedWith(t *testing.T, n *testNode, tok string) (message, code string) {
	t.Helper()
	_, _, err := dial(t, n, "", map[string]string{"token": tok})
	ce, ok := err.(*enginetest.ConnectError)
	if !ok {
		t.Errorf("token accepted (%v), want a refusal", err)
		return "", ""
	}
	var data map[string]string
	_ = json.Unmarshal(ce.Data(), &data)
	return ce.Message(), data["code"]
}

// TestE2EPublicKeys: ES256 tokens verified with a PEM public key from the
// configuration and with keys from a JWKS endpoint; an HS256 token
// "signed" with the public key (algorithm confusion) and tokens for
// unknown keys are refused; a JWKS endpoint that cannot be reached gives
// "service unavailable" with jwks_unavailable.
func TestE2EPublicKeys(t *testing.T) {
	t.Parallel()
	static, published := newECKey(t), newECKey(t)
	jwks := newBackend(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		writeJSON(w, 200, mustJSON(map[string]any{"keys": []any{published.jwk("k2")}}))
	})

	cfg := testConfig(t)
	cfg.Auth.JWT.Algorithms = []string{"ES256", "HS256"}
	cfg.Auth.JWT.PublicKeys = []config.KeyFile{{ID: "k1", File: static.pubPEMFile}}
	cfg.Auth.JWT.JWKSURL = jwks.URL + "/jwks.json"
	n := startNode(t, cfg)

	if _, _, err := dial(t, n, "", map[string]string{"token": static.sign(t, "k1", auth.Claims{Subject: "pem"})}); err != nil {
		t.Errorf("ES256 token for the PEM key: %v", err)
	}
	if _, _, err := dial(t, n, "", map[string]string{"token": published.sign(t, "k2", auth.Claims{Subject: "jwks"})}); err != nil {
		t.Errorf("ES256 token for the JWKS key: %v", err)
	}
	if _, _, err := dial(t, n, "", map[string]string{"token": userToken(t, "hmac")}); err != nil {
		t.Errorf("HS256 token beside the public keys: %v", err)
	}
	for name, c := range map[string]struct{ tok, code string }{
		"confusion": {hs256With(static.pubPEM, "mallory"), auth.CodeTokenSignature},
		"wrong key": {published.sign(t, "k1", auth.Claims{Subject: "x"}), auth.CodeTokenSignature},
	} {
		msg, code := refusedWith(t, n, c.tok)
		// Algorithm confusion must never verify; which code it gets
		// depends on the order of the checks.
		if msg != "unauthorized" || (code != c.code && code != auth.CodeTokenAlgorithm) {
			t.Errorf("%s: %q %q, want unauthorized %s", name, msg, code, c.code)
		}
	}
	if msg, code := refusedWith(t, n, published.sign(t, "k9", auth.Claims{Subject: "x"})); msg != "unauthorized" || code != auth.CodeTokenKeyUnknown {
		t.Errorf("unknown kid: %q %q", msg, code)
	}

	// A JWKS endpoint nobody answers on.
	cfg2 := testConfig(t)
	cfg2.Auth.JWT.Algorithms = []string{"ES256"}
	cfg2.Auth.JWT.Secret = ""
	cfg2.Auth.JWT.JWKSURL = closedURL(t)
	n2 := startNode(t, cfg2)
	if msg, code := refusedWith(t, n2, published.sign(t, "k2", auth.Claims{Subject: "x"})); msg != "service unavailable" || code != auth.CodeJWKSUnavailable {
		t.Errorf("JWKS down: %q %q, want \"service unavailable\" jwks_unavailable", msg, code)
	}
	// With only ES256 allowed, an HS256 token is refused for its algorithm.
	if msg, code := refusedWith(t, n2, hs256With(static.pubPEM, "mallory")); msg != "unauthorized" || code != auth.CodeTokenAlgorithm {
		t.Errorf("HS256 token with only ES256 allowed: %q %q, want token_algorithm", msg, code)
	}
	n2.wantMetric("herald_auth_failures_total", `code="jwks_unavailable"`, 1)
}

// TestE2ENamespacesAndNames: every configured namespace gets the same
// authentication and room operations; event names and the user room
// prefix follow the configuration; other namespaces are refused.
func TestE2ENamespacesAndNames(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.Namespaces = []string{"/", "/admin"}
	cfg.Events.Join, cfg.Events.Leave, cfg.Events.Publish = "subscribe", "unsubscribe", "say"
	cfg.Rooms.UserPrefix = "u/"
	cfg.Rooms.Publish = []string{"r*"}
	cfg.Rooms.Join = []string{"r*"}
	n := startNode(t, cfg)
	tok := userToken(t, "ann")

	c, root := mustDial(t, n, tok)
	ctx := t.Context()
	admin, err := c.Connect(ctx, "/admin", map[string]string{"token": tok})
	if err != nil {
		t.Fatalf("/admin: %v", err)
	}
	c2, _ := mustDial(t, n, tok)
	if _, err := c2.Connect(ctx, "/other", map[string]string{"token": tok}); err == nil {
		t.Errorf("a namespace that is not configured accepted a socket")
	}
	c3, _, _ := dial(t, n, "", map[string]string{"token": tok})
	if _, err := c3.Connect(ctx, "/admin", map[string]string{}); err == nil {
		t.Errorf("/admin accepted a socket without a token")
	}

	for _, s := range []*enginetest.Socket{root, admin} {
		if ack := emitAck(t, s, "subscribe", "r1"); !isOK(ack) {
			t.Errorf("subscribe: %v", ack)
		}
		if ack := emitAck(t, s, "unsubscribe", "u/ann"); errCode(ack) != "forbidden" {
			t.Errorf("leaving the user room u/ann: %v", ack)
		}
		if ack := emitAck(t, s, "room:join", "r1"); errCode(ack) != "unknown_event" {
			t.Errorf("the default join name still works: %v", ack)
		}
		if ack := emitAck(t, s, "say", "r1", "ev", 1); !isOK(ack) {
			t.Errorf("say: %v", ack)
		}
	}
	if got := n.G.Server().Of("/admin").SocketCount(); got != 1 {
		t.Errorf("/admin has %d sockets", got)
	}
	if !findSocketIn(t, n, "/admin", admin.ID).InRoom("u/ann") {
		t.Errorf("the /admin socket is not in u/ann")
	}
}
