package auth

import (
	"context"
	"testing"
)

func benchVerify(b *testing.B, alg string) {
	k := keys(b)
	cfg := Config{Algorithms: []string{alg}, Now: fixedNow}
	if s := k.signer(alg); s != nil {
		cfg.PublicKeys = []Key{{ID: "k", PEM: pubPEM(b, s.Public())}}
	} else {
		cfg.Secret = testSecret
	}
	v := newVerifier(b, cfg)
	tok := mint(b, alg, "k", Claims{
		Subject: "user-1234",
		Rooms:   []string{"user:1234", "lobby"},
		Join:    []string{"chat:*"},
		Publish: []string{"chat:*"},
		Issuer:  "https://id.example",
	})
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := v.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyHS256(b *testing.B) { benchVerify(b, "HS256") }
func BenchmarkVerifyES256(b *testing.B) { benchVerify(b, "ES256") }
func BenchmarkVerifyRS256(b *testing.B) { benchVerify(b, "RS256") }
func BenchmarkVerifyEdDSA(b *testing.B) { benchVerify(b, "EdDSA") }

func BenchmarkMatch(b *testing.B) {
	cases := []struct{ pattern, room string }{
		{"lobby", "lobby"},
		{"chat:*", "chat:general"},
		{"org:*:room:*", "org:acme:room:42"},
		{"*:admin", "org:acme:user:admin"},
		{"chat:*", "dm:alice:bob"},
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, c := range cases {
			Match(c.pattern, c.room)
		}
	}
}

func BenchmarkTokenFromRequest(b *testing.B) {
	payload := []byte(`{"token":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := TokenFromRequest(payload, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}
