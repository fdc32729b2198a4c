package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"sync"
	"testing"
	"time"
)

// t0 is the fixed "now" of most tests.
var t0 = time.Unix(1_700_000_000, 0)

func fixedNow() time.Time { return t0 }

// testSecret is 64 bytes: long enough for every HS algorithm.
var testSecret = []byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")

// testKeys holds one key pair per asymmetric algorithm, generated once per
// test binary because RSA generation is slow.
type testKeys struct {
	rsa, rsa2 *rsa.PrivateKey
	ec, ec2   *ecdsa.PrivateKey
	ed, ed2   ed25519.PrivateKey
}

var keysOnce = sync.OnceValue(func() *testKeys {
	k := &testKeys{}
	var err error
	if k.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	if k.rsa2, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	if k.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		panic(err)
	}
	if k.ec2, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		panic(err)
	}
	if _, k.ed, err = ed25519.GenerateKey(rand.Reader); err != nil {
		panic(err)
	}
	if _, k.ed2, err = ed25519.GenerateKey(rand.Reader); err != nil {
		panic(err)
	}
	return k
})

func keys(t testing.TB) *testKeys {
	t.Helper()
	return keysOnce()
}

func pubPEM(t testing.TB, pub crypto.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func privPEM(t testing.TB, priv crypto.Signer) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// signer returns the private key used for alg in the default fixtures.
func (k *testKeys) signer(alg string) crypto.Signer {
	switch alg {
	case "RS256":
		return k.rsa
	case "ES256":
		return k.ec
	case "EdDSA":
		return k.ed
	}
	return nil
}

// mint signs c with alg using the default fixtures, at t0.
func mint(t testing.TB, alg, kid string, c Claims) string {
	t.Helper()
	cfg := SignConfig{Algorithm: alg, KeyID: kid, Now: fixedNow}
	if algKind(alg) == kindHMAC {
		cfg.Secret = testSecret
	} else {
		cfg.PrivateKeyPEM = privPEM(t, keys(t).signer(alg))
	}
	tok, err := Sign(cfg, c)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return tok
}

// mintWith signs with an explicit private key.
func mintWith(t testing.TB, alg, kid string, priv crypto.Signer, c Claims) string {
	t.Helper()
	tok, err := Sign(SignConfig{Algorithm: alg, KeyID: kid, PrivateKeyPEM: privPEM(t, priv), Now: fixedNow}, c)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return tok
}

func seg(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// rawToken builds a token by hand, for attacks Sign refuses to produce.
// sign gets the signing input and returns the raw signature (nil for none).
func rawToken(t testing.TB, header, claims map[string]any, sign func(input string) []byte) string {
	t.Helper()
	input := seg(t, header) + "." + seg(t, claims)
	var sig []byte
	if sign != nil {
		sig = sign(input)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func hs256(secret []byte) func(string) []byte {
	return func(input string) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(input))
		return m.Sum(nil)
	}
}

// baseClaims are valid claims at t0.
func baseClaims() map[string]any {
	return map[string]any{"sub": "alice", "iat": t0.Unix(), "exp": t0.Add(time.Hour).Unix()}
}

func newVerifier(t testing.TB, cfg Config) *Verifier {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = fixedNow
	}
	v, err := NewVerifier(cfg)
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	t.Cleanup(v.Close)
	return v
}

func hsVerifier(t testing.TB) *Verifier {
	return newVerifier(t, Config{Algorithms: []string{"HS256"}, Secret: testSecret})
}

// wantCode fails unless err is an *Error with code.
func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	var ae *Error
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	if ae.Code != code {
		t.Fatalf("code = %s, want %s (error: %v)", ae.Code, code, err)
	}
	if ae.Message == "" {
		t.Fatalf("code %s has an empty Message", code)
	}
}

func verify(v *Verifier, tok string) (*Identity, error) {
	return v.Verify(context.Background(), tok)
}

// mustVerify fails the test unless v accepts tok.
func mustVerify(t testing.TB, v *Verifier, tok string) {
	t.Helper()
	if _, err := verify(v, tok); err != nil {
		t.Fatal(err)
	}
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func randReader() io.Reader { return rand.Reader }
