package auth

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
	"time"
)

func TestSignErrors(t *testing.T) {
	k := keys(t)
	ok := Claims{Subject: "a"}
	cases := []struct {
		name string
		cfg  SignConfig
		c    Claims
		want string
	}{
		{"none", SignConfig{Algorithm: "none"}, ok, `algorithm "none"`},
		{"unknown", SignConfig{Algorithm: "RS512"}, ok, `algorithm "RS512"`},
		{"no subject", SignConfig{Algorithm: "HS256", Secret: testSecret}, Claims{}, "without a Subject"},
		{"short secret", SignConfig{Algorithm: "HS384", Secret: testSecret[:32]}, ok, "HS384 needs a Secret of at least 48"},
		{"HS with key", SignConfig{Algorithm: "HS256", Secret: testSecret, PrivateKeyPEM: privPEM(t, k.rsa)}, ok, "PrivateKeyPEM is set"},
		{"RS with secret", SignConfig{Algorithm: "RS256", Secret: testSecret, PrivateKeyPEM: privPEM(t, k.rsa)}, ok, "Secret is set"},
		{"no key", SignConfig{Algorithm: "ES256"}, ok, "no PEM block"},
		{"public key", SignConfig{Algorithm: "ES256", PrivateKeyPEM: pubPEM(t, k.ec.Public())}, ok, "not a private key"},
		{"EC key for RS256", SignConfig{Algorithm: "RS256", PrivateKeyPEM: privPEM(t, k.ec)}, ok, "is an EC P-256 key; RS256 needs an RSA key"},
		{"RSA key for EdDSA", SignConfig{Algorithm: "EdDSA", PrivateKeyPEM: privPEM(t, k.rsa)}, ok, "needs an Ed25519 key"},
		{"Extra overrides sub", SignConfig{Algorithm: "HS256", Secret: testSecret}, Claims{Subject: "a", Extra: map[string]any{"sub": "b"}}, `Extra["sub"]`},
		{"Extra overrides exp", SignConfig{Algorithm: "HS256", Secret: testSecret}, Claims{Subject: "a", Extra: map[string]any{"exp": 1}}, `Extra["exp"]`},
		{"Extra overrides rooms", SignConfig{Algorithm: "HS256", Secret: testSecret}, Claims{Subject: "a", Rooms: []string{"r"}, Extra: map[string]any{"rooms": "x"}}, `Extra["rooms"]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Sign(c.cfg, c.c)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestSignPrivateKeyForms(t *testing.T) {
	k := keys(t)
	ecDER, err := x509.MarshalECPrivateKey(k.ec)
	if err != nil {
		t.Fatal(err)
	}
	forms := map[string]struct {
		alg string
		pem []byte
	}{
		"PKCS1 RSA": {"RS256", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k.rsa)})},
		"SEC1 EC":   {"ES256", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER})},
		"PKCS8 Ed":  {"EdDSA", privPEM(t, k.ed)},
	}
	for name, f := range forms {
		t.Run(name, func(t *testing.T) {
			tok, err := Sign(SignConfig{Algorithm: f.alg, PrivateKeyPEM: f.pem, KeyID: "k1", Now: fixedNow}, Claims{Subject: "a"})
			if err != nil {
				t.Fatal(err)
			}
			v := newVerifier(t, Config{Algorithms: []string{f.alg}, PublicKeys: []Key{{ID: "k1", PEM: pubPEM(t, k.signer(f.alg).Public())}}})
			mustVerify(t, v, tok)
		})
	}
}

func TestSignClaimsLayout(t *testing.T) {
	decode := func(tok string) (header, claims map[string]any) {
		parts := strings.Split(tok, ".")
		for i, dst := range []*map[string]any{&header, &claims} {
			b, err := base64.RawURLEncoding.DecodeString(parts[i])
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, dst); err != nil {
				t.Fatal(err)
			}
		}
		return header, claims
	}
	h, c := decode(mint(t, "HS256", "kid-1", Claims{Subject: "a", Audience: []string{"one"}, Issuer: "me", TTL: 2 * time.Minute}))
	if h["kid"] != "kid-1" || h["alg"] != "HS256" {
		t.Fatalf("header = %v", h)
	}
	if c["aud"] != "one" || c["iss"] != "me" || c["sub"] != "a" ||
		c["iat"] != float64(t0.Unix()) || c["exp"] != float64(t0.Add(2*time.Minute).Unix()) {
		t.Fatalf("claims = %v", c)
	}
	for _, absent := range []string{"rooms", "join", "publish", "nbf"} {
		if _, ok := c[absent]; ok {
			t.Fatalf("empty %s was emitted", absent)
		}
	}
	_, c = decode(mint(t, "HS256", "", Claims{Subject: "a", Audience: []string{"one", "two"}}))
	if aud, ok := c["aud"].([]any); !ok || len(aud) != 2 {
		t.Fatalf("aud = %#v, want a two-element array", c["aud"])
	}
	if c["exp"] != float64(t0.Add(DefaultTTL).Unix()) {
		t.Fatalf("zero TTL did not default: exp = %v", c["exp"])
	}
}
