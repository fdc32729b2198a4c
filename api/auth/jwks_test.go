package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// jwksServer is an httptest JWKS endpoint whose document, status and delay
// tests can change while it runs.
type jwksServer struct {
	*httptest.Server
	mu      sync.Mutex
	body    []byte
	status  int
	gate    chan struct{} // when non-nil, requests wait for it to close
	started chan struct{} // receives (non-blocking) when a request arrives
	hits    atomic.Int64
}

func newJWKSServer(t *testing.T, keys ...map[string]any) *jwksServer {
	t.Helper()
	s := &jwksServer{status: http.StatusOK, started: make(chan struct{}, 100)}
	s.setKeys(t, keys...)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		select {
		case s.started <- struct{}{}:
		default:
		}
		s.mu.Lock()
		body, status, gate := s.body, s.status, s.gate
		s.mu.Unlock()
		if gate != nil {
			select {
			case <-gate:
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) setKeys(t *testing.T, keys ...map[string]any) {
	t.Helper()
	if keys == nil {
		keys = []map[string]any{}
	}
	b, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		t.Fatal(err)
	}
	s.setBody(b)
}

func (s *jwksServer) setBody(b []byte) {
	s.mu.Lock()
	s.body = b
	s.mu.Unlock()
}

func (s *jwksServer) setStatus(code int) {
	s.mu.Lock()
	s.status = code
	s.mu.Unlock()
}

func (s *jwksServer) setGate(g chan struct{}) {
	s.mu.Lock()
	s.gate = g
	s.mu.Unlock()
}

// jwkOf renders a public key as a JWK.
func jwkOf(t testing.TB, kid string, pub crypto.PublicKey) map[string]any {
	t.Helper()
	m := map[string]any{"use": "sig"}
	if kid != "" {
		m["kid"] = kid
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		m["kty"] = "RSA"
		m["n"] = b64url(k.N.Bytes())
		m["e"] = b64url(big.NewInt(int64(k.E)).Bytes())
	case *ecdsa.PublicKey:
		b, err := k.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		m["kty"], m["crv"] = "EC", "P-256"
		m["x"], m["y"] = b64url(b[1:33]), b64url(b[33:])
	case ed25519.PublicKey:
		m["kty"], m["crv"], m["x"] = "OKP", "Ed25519", b64url(k)
	default:
		t.Fatalf("jwkOf: %T", pub)
	}
	return m
}

// clock is a settable time source for the rate limit.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// rs256 is an RS256 token for subject "a", signed by priv, naming kid.
func rs256(t testing.TB, kid string, priv crypto.Signer) string {
	t.Helper()
	return mintWith(t, "RS256", kid, priv, Claims{Subject: "a"})
}

// wantFetches fails the test unless the server has served the document n
// times; why says what the count shows.
func (s *jwksServer) wantFetches(t testing.TB, n int64, why string) {
	t.Helper()
	if got := s.hits.Load(); got != n {
		t.Fatalf("JWKS fetched %d times, want %d: %s", got, n, why)
	}
}

func jwksVerifier(t *testing.T, s *jwksServer, clk *clock, mod func(*Config)) *Verifier {
	t.Helper()
	cfg := Config{Algorithms: []string{"RS256", "ES256", "EdDSA"}, JWKSURL: s.URL, Now: clk.Now, JWKSTimeout: 2 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	return newVerifier(t, cfg)
}

func TestJWKSEveryKeyType(t *testing.T) {
	k := keys(t)
	s := newJWKSServer(t, jwkOf(t, "r", k.rsa.Public()), jwkOf(t, "e", k.ec.Public()), jwkOf(t, "o", k.ed.Public()))
	v := jwksVerifier(t, s, newClock(), nil)
	for alg, kid := range map[string]string{"RS256": "r", "ES256": "e", "EdDSA": "o"} {
		id, err := verify(v, mint(t, alg, kid, Claims{Subject: "a"}))
		if err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
		if id.UserID != "a" {
			t.Fatal(id)
		}
		// No kid: exactly one key of the type fits.
		if _, err := verify(v, mint(t, alg, "", Claims{Subject: "a"})); err != nil {
			t.Fatalf("%s without kid: %v", alg, err)
		}
	}
	// kid naming a key of the wrong type.
	_, err := verify(v, mint(t, "ES256", "r", Claims{Subject: "a"}))
	wantCode(t, err, CodeTokenAlgorithm)
	s.wantFetches(t, 1, "one document serves every kid")
}

func TestJWKSNoKidAmbiguous(t *testing.T) {
	k := keys(t)
	s := newJWKSServer(t, jwkOf(t, "a", k.rsa.Public()), jwkOf(t, "b", k.rsa2.Public()))
	v := jwksVerifier(t, s, newClock(), nil)
	_, err := verify(v, mint(t, "RS256", "", Claims{Subject: "a"}))
	wantCode(t, err, CodeTokenKeyUnknown)
	mustVerify(t, v, rs256(t, "b", k.rsa2))
}

// A JWK restricted to one alg does not verify another alg of its key type.
func TestJWKSKeyAlgRestriction(t *testing.T) {
	k := keys(t)
	restricted := jwkOf(t, "r", k.rsa.Public())
	restricted["alg"] = "RS256"
	s := newJWKSServer(t, restricted)
	v := jwksVerifier(t, s, newClock(), nil)
	mustVerify(t, v, mint(t, "RS256", "r", Claims{Subject: "a"}))
}

func TestJWKSRotation(t *testing.T) {
	k := keys(t)
	clk := newClock()
	s := newJWKSServer(t, jwkOf(t, "old", k.rsa.Public()))
	v := jwksVerifier(t, s, clk, nil)
	mustVerify(t, v, rs256(t, "old", k.rsa))

	// The issuer rotates: "new" appears, "old" goes away.
	s.setKeys(t, jwkOf(t, "new", k.rsa2.Public()))
	clk.Advance(DefaultJWKSMinRefresh)
	if _, err := verify(v, rs256(t, "new", k.rsa2)); err != nil {
		t.Fatalf("new kid after rotation: %v", err)
	}
	s.wantFetches(t, 2, "the new kid is fetched once")
	// The retired key is gone with the old document.
	_, err := verify(v, rs256(t, "old", k.rsa))
	wantCode(t, err, CodeTokenKeyUnknown)
}

func TestJWKSUnknownKidRateLimited(t *testing.T) {
	k := keys(t)
	clk := newClock()
	s := newJWKSServer(t, jwkOf(t, "a", k.rsa.Public()))
	v := jwksVerifier(t, s, clk, nil)
	mustVerify(t, v, rs256(t, "a", k.rsa))
	bogus := rs256(t, "bogus", k.rsa)
	for range 50 {
		_, err := verify(v, bogus)
		wantCode(t, err, CodeTokenKeyUnknown)
	}
	s.wantFetches(t, 1, "unknown kids fetch nothing within MinRefresh")
	clk.Advance(DefaultJWKSMinRefresh - time.Second)
	_, err := verify(v, bogus)
	wantCode(t, err, CodeTokenKeyUnknown)
	s.wantFetches(t, 1, "MinRefresh has not elapsed")
	clk.Advance(time.Second)
	for range 50 {
		_, err := verify(v, bogus)
		wantCode(t, err, CodeTokenKeyUnknown)
	}
	s.wantFetches(t, 2, "exactly one refresh once MinRefresh elapsed")
}

func TestJWKSCustomMinRefresh(t *testing.T) {
	k := keys(t)
	clk := newClock()
	s := newJWKSServer(t, jwkOf(t, "a", k.rsa.Public()))
	v := jwksVerifier(t, s, clk, func(c *Config) { c.JWKSMinRefresh = 5 * time.Second })
	bogus := rs256(t, "bogus", k.rsa)
	_, err := verify(v, bogus) // waits for the initial fetch
	wantCode(t, err, CodeTokenKeyUnknown)
	clk.Advance(5 * time.Second)
	_, err = verify(v, bogus)
	wantCode(t, err, CodeTokenKeyUnknown)
	s.wantFetches(t, 2, "one refresh after the custom MinRefresh")
}

// Verifications that miss while a fetch is in flight wait for it instead of
// starting their own.
func TestJWKSSingleflight(t *testing.T) {
	k := keys(t)
	clk := newClock()
	s := newJWKSServer(t, jwkOf(t, "a", k.rsa.Public()))
	v := jwksVerifier(t, s, clk, nil)
	mustVerify(t, v, rs256(t, "a", k.rsa))
	<-s.started // the initial fetch

	gate := make(chan struct{})
	s.setGate(gate)
	s.setKeys(t, jwkOf(t, "a", k.rsa.Public()), jwkOf(t, "b", k.rsa2.Public()))
	clk.Advance(DefaultJWKSMinRefresh)

	tok := rs256(t, "b", k.rsa2)
	const n = 20
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := verify(v, tok)
			errs <- err
		}()
	}
	<-s.started // the refresh reached the server and is held there
	time.Sleep(50 * time.Millisecond)
	close(gate)
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	s.wantFetches(t, 2, "the initial fetch and one shared refresh")
}

func TestJWKSServerDown(t *testing.T) {
	k := keys(t)
	s := newJWKSServer(t, jwkOf(t, "a", k.rsa.Public()))
	url := s.URL
	s.Close()
	clk := newClock()
	v := newVerifier(t, Config{Algorithms: []string{"RS256"}, JWKSURL: url, Now: clk.Now})
	tok := rs256(t, "a", k.rsa)
	_, err := verify(v, tok)
	wantCode(t, err, CodeJWKSUnavailable)
	// Still rate-limited, still reported as unavailable rather than unknown.
	_, err = verify(v, tok)
	wantCode(t, err, CodeJWKSUnavailable)
	// Tokens without kid too.
	_, err = verify(v, rs256(t, "", k.rsa))
	wantCode(t, err, CodeJWKSUnavailable)
}

func TestJWKSBadResponses(t *testing.T) {
	k := keys(t)
	good := jwkOf(t, "a", k.rsa.Public())
	cases := map[string]func(*jwksServer){
		"HTTP 500":  func(s *jwksServer) { s.setStatus(http.StatusInternalServerError) },
		"HTTP 404":  func(s *jwksServer) { s.setStatus(http.StatusNotFound) },
		"HTML":      func(s *jwksServer) { s.setBody([]byte("<html>oops</html>")) },
		"truncated": func(s *jwksServer) { s.setBody([]byte(`{"keys":[{"kty":"RSA"`)) },
		"too large": func(s *jwksServer) {
			b, _ := json.Marshal(map[string]any{"keys": []any{good}, "pad": strings.Repeat("x", MaxJWKSBytes)})
			s.setBody(b)
		},
		"no usable key": func(s *jwksServer) { s.setBody([]byte(`{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`)) },
	}
	for name, breakIt := range cases {
		t.Run(name, func(t *testing.T) {
			s := newJWKSServer(t, good)
			breakIt(s)
			v := jwksVerifier(t, s, newClock(), nil)
			_, err := verify(v, rs256(t, "a", k.rsa))
			wantCode(t, err, CodeJWKSUnavailable)
		})
	}
}

func TestJWKSTimeout(t *testing.T) {
	k := keys(t)
	s := newJWKSServer(t, jwkOf(t, "a", k.rsa.Public()))
	gate := make(chan struct{})
	defer close(gate)
	s.setGate(gate)
	v := jwksVerifier(t, s, newClock(), func(c *Config) { c.JWKSTimeout = 100 * time.Millisecond })
	start := time.Now()
	_, err := verify(v, rs256(t, "a", k.rsa))
	wantCode(t, err, CodeJWKSUnavailable)
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Verify took %v despite a 100ms JWKS timeout", d)
	}
}

// The caller's context bounds its wait for a slow fetch.
func TestJWKSContextCancel(t *testing.T) {
	k := keys(t)
	s := newJWKSServer(t, jwkOf(t, "a", k.rsa.Public()))
	gate := make(chan struct{})
	defer close(gate)
	s.setGate(gate)
	v := jwksVerifier(t, s, newClock(), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := v.Verify(ctx, rs256(t, "a", k.rsa))
	wantCode(t, err, CodeJWKSUnavailable)
	if ctx.Err() == nil {
		t.Fatal("Verify returned before the context ended")
	}
}

// Once keys are cached, an outage does not affect tokens using them.
func TestJWKSOutageKeepsCachedKeys(t *testing.T) {
	k := keys(t)
	clk := newClock()
	s := newJWKSServer(t, jwkOf(t, "a", k.rsa.Public()))
	v := jwksVerifier(t, s, clk, nil)
	tok := rs256(t, "a", k.rsa)
	mustVerify(t, v, tok)
	s.setStatus(http.StatusServiceUnavailable)
	clk.Advance(time.Minute)
	_, err := verify(v, rs256(t, "other", k.rsa))
	wantCode(t, err, CodeJWKSUnavailable)
	if _, err := verify(v, tok); err != nil {
		t.Fatalf("cached key stopped working during the outage: %v", err)
	}
	// Recovery.
	s.setStatus(http.StatusOK)
	s.setKeys(t, jwkOf(t, "a", k.rsa.Public()), jwkOf(t, "other", k.rsa.Public()))
	clk.Advance(time.Minute)
	mustVerify(t, v, rs256(t, "other", k.rsa))
}

func TestJWKSPeriodicRefresh(t *testing.T) {
	k := keys(t)
	s := newJWKSServer(t, jwkOf(t, "a", k.rsa.Public()))
	// The clock never moves, so on-demand refreshes stay rate-limited and
	// only the periodic one can bring "b" in.
	v := jwksVerifier(t, s, newClock(), func(c *Config) { c.JWKSRefreshEvery = 20 * time.Millisecond })
	mustVerify(t, v, rs256(t, "a", k.rsa))
	s.setKeys(t, jwkOf(t, "b", k.rsa2.Public()))
	tok := rs256(t, "b", k.rsa2)
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := verify(v, tok)
		if err == nil {
			break
		}
		wantCode(t, err, CodeTokenKeyUnknown)
		if time.Now().After(deadline) {
			t.Fatal("periodic refresh never picked up the new key")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCloseStopsRefresh(t *testing.T) {
	k := keys(t)
	s := newJWKSServer(t, jwkOf(t, "a", k.rsa.Public()))
	clk := newClock()
	v := jwksVerifier(t, s, clk, func(c *Config) { c.JWKSRefreshEvery = 10 * time.Millisecond })
	tok := rs256(t, "a", k.rsa)
	mustVerify(t, v, tok)
	v.Close()
	v.Close() // idempotent
	n := s.hits.Load()
	time.Sleep(60 * time.Millisecond)
	clk.Advance(time.Minute) // past MinRefresh, so only Close prevents a fetch
	if _, err := verify(v, tok); err != nil {
		t.Fatalf("cached keys must keep working after Close: %v", err)
	}
	_, err := verify(v, rs256(t, "zzz", k.rsa))
	wantCode(t, err, CodeTokenKeyUnknown)
	s.wantFetches(t, n, "none after Close")
}

func TestJWKSCustomHTTPClient(t *testing.T) {
	k := keys(t)
	s := newJWKSServer(t, jwkOf(t, "a", k.rsa.Public()))
	var used atomic.Bool
	client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		used.Store(true)
		if got := r.Header.Get("Accept"); !strings.Contains(got, "application/jwk-set+json") {
			t.Errorf("Accept = %q", got)
		}
		return http.DefaultTransport.RoundTrip(r)
	})}
	v := jwksVerifier(t, s, newClock(), func(c *Config) { c.HTTPClient = client })
	mustVerify(t, v, rs256(t, "a", k.rsa))
	if !used.Load() {
		t.Fatal("Config.HTTPClient was not used")
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Static keys and a JWKS work side by side.
func TestStaticKeysWithJWKS(t *testing.T) {
	k := keys(t)
	s := newJWKSServer(t, jwkOf(t, "remote", k.rsa.Public()))
	v := jwksVerifier(t, s, newClock(), func(c *Config) {
		c.PublicKeys = []Key{{ID: "local", PEM: pubPEM(t, k.ec.Public())}}
	})
	mustVerify(t, v, mint(t, "ES256", "local", Claims{Subject: "a"}))
	mustVerify(t, v, mint(t, "RS256", "remote", Claims{Subject: "a"}))
}

// A static key without id does not hide a key the JWKS published since:
// a token whose kid is unknown makes the verifier refetch first, and only
// a kid the JWKS does not have either falls back to the unnamed key. (The
// unnamed key fits RS256 too, so that a fallback taken first would fail
// the new token's signature.)
func TestUnnamedStaticKeyWithJWKSRotation(t *testing.T) {
	k := keys(t)
	clk := newClock()
	s := newJWKSServer(t, jwkOf(t, "k1", k.rsa.Public()))
	v := jwksVerifier(t, s, clk, func(c *Config) {
		c.PublicKeys = []Key{{PEM: pubPEM(t, k.rsa.Public())}}
	})
	mustVerify(t, v, rs256(t, "k1", k.rsa))
	s.setKeys(t, jwkOf(t, "k2", k.rsa2.Public()))
	clk.Advance(DefaultJWKSMinRefresh)
	if _, err := verify(v, rs256(t, "k2", k.rsa2)); err != nil {
		t.Fatalf("kid k2 published after the first fetch: %v", err)
	}
	s.wantFetches(t, 2, "the unknown kid is fetched before any fallback")
	mustVerify(t, v, rs256(t, "issuer-kid-9", k.rsa))
}

func TestParseJWKSMalformedDocuments(t *testing.T) {
	for name, doc := range map[string]string{
		"empty":            ``,
		"not JSON":         `hello`,
		"array":            `[]`,
		"string":           `"keys"`,
		"no keys member":   `{}`,
		"keys null":        `{"keys":null}`,
		"keys string":      `{"keys":"x"}`,
		"keys object":      `{"keys":{"kty":"RSA"}}`,
		"keys empty":       `{"keys":[]}`,
		"only bad entries": `{"keys":[1,"x",null,{"kty":5}]}`,
		"trailing garbage": `{"keys":[]} x`,
	} {
		t.Run(name, func(t *testing.T) {
			if set, err := parseJWKS([]byte(doc)); err == nil {
				t.Fatalf("parseJWKS accepted %q: %+v", doc, set)
			}
		})
	}
}

// Keys the verifier must not use are skipped; the rest of the set survives.
func TestParseJWKSSkipsUnusableKeys(t *testing.T) {
	k := keys(t)
	small, err := rsa.GenerateKey(randReader(), 1024)
	if err != nil {
		t.Fatal(err)
	}
	mod := func(m map[string]any, kv ...any) map[string]any {
		out := map[string]any{}
		for key, val := range m {
			out[key] = val
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(out, kv[i].(string))
			} else {
				out[kv[i].(string)] = kv[i+1]
			}
		}
		return out
	}
	r := jwkOf(t, "r", k.rsa.Public())
	e := jwkOf(t, "e", k.ec.Public())
	o := jwkOf(t, "o", k.ed.Public())
	bad := []map[string]any{
		mod(r, "kid", "enc", "use", "enc"),
		mod(r, "kid", "ops", "key_ops", []string{"encrypt"}),
		mod(r, "kid", "alg-ps", "alg", "PS256"),
		mod(r, "kid", "alg-es", "alg", "ES256"),
		mod(r, "kid", "small", "n", b64url(small.N.Bytes())),
		mod(r, "kid", "even-e", "e", b64url([]byte{1, 0, 0})),
		mod(r, "kid", "e1", "e", "AQ"),
		mod(r, "kid", "big-e", "e", b64url([]byte{1, 0, 0, 0, 1})),
		mod(r, "kid", "no-n", "n", nil),
		mod(r, "kid", "bad-n", "n", "!!!"),
		mod(e, "kid", "p384", "crv", "P-384"),
		mod(e, "kid", "off-curve", "y", b64url(make([]byte, 32))),
		mod(e, "kid", "long-x", "x", b64url(make([]byte, 33))),
		mod(o, "kid", "x25519", "crv", "X25519"),
		mod(o, "kid", "short-ed", "x", b64url(make([]byte, 31))),
		{"kty": "oct", "kid": "oct", "k": "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"},
		{"kty": "RSA", "kid": "kty-type", "n": 5},
		{"kid": "no-kty"},
	}
	good := []map[string]any{r, e, o, mod(r, "kid", "ops-ok", "key_ops", []string{"verify"}), mod(r, "kid", "alg-ok", "alg", "RS256"), mod(r, "kid", "no-use", "use", nil)}
	doc, _ := json.Marshal(map[string]any{"keys": append(append([]map[string]any{}, bad...), good...)})
	set, err := parseJWKS(doc)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, k := range set.keys {
		ids = append(ids, k.id)
	}
	want := []string{"r", "e", "o", "ops-ok", "alg-ok", "no-use"}
	if strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Fatalf("kept %v, want %v", ids, want)
	}
	// Padded base64 and short EC coordinates are tolerated.
	padded := mod(r, "kid", "pad", "e", "AQAB====")
	doc, _ = json.Marshal(map[string]any{"keys": []any{padded}})
	if _, err := parseJWKS(doc); err != nil {
		t.Fatalf("padded e: %v", err)
	}
}

// No kid and no key of the token's type: unknown, after a (rate-limited)
// refresh attempt.
func TestJWKSNoFittingKey(t *testing.T) {
	k := keys(t)
	s := newJWKSServer(t, jwkOf(t, "r", k.rsa.Public()))
	v := jwksVerifier(t, s, newClock(), nil)
	_, err := verify(v, mint(t, "ES256", "", Claims{Subject: "a"}))
	wantCode(t, err, CodeTokenKeyUnknown)
	if !strings.Contains(err.Error(), "no key can verify this token") {
		t.Fatalf("message: %v", err)
	}
}
