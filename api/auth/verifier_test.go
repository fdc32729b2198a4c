package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestVerifyEveryAlgorithm(t *testing.T) {
	k := keys(t)
	for _, alg := range []string{"HS256", "HS384", "HS512", "RS256", "ES256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			cfg := Config{Algorithms: []string{alg}}
			if s := k.signer(alg); s != nil {
				cfg.PublicKeys = []Key{{PEM: pubPEM(t, s.Public())}}
			} else {
				cfg.Secret = testSecret
			}
			v := newVerifier(t, cfg)
			id, err := verify(v, mint(t, alg, "", Claims{Subject: "alice", Rooms: []string{"user:alice"}}))
			if err != nil {
				t.Fatal(err)
			}
			if id.UserID != "alice" || !slices.Equal(id.Rooms, []string{"user:alice"}) {
				t.Fatalf("identity = %+v", id)
			}
			if !id.Expires.Equal(t0.Add(DefaultTTL)) {
				t.Fatalf("Expires = %v, want %v", id.Expires, t0.Add(DefaultTTL))
			}
		})
	}
}

func TestVerifyIdentity(t *testing.T) {
	v := hsVerifier(t)
	tok := mint(t, "HS256", "", Claims{
		Subject: "u42",
		Rooms:   []string{"user:u42", "lobby"},
		Join:    []string{"chat:*"},
		Publish: []string{"chat:general"},
		Extra:   map[string]any{"name": "Ann", "tier": 3},
	})
	id, err := verify(v, tok)
	if err != nil {
		t.Fatal(err)
	}
	if id.UserID != "u42" ||
		!slices.Equal(id.Rooms, []string{"user:u42", "lobby"}) ||
		!slices.Equal(id.Join, []string{"chat:*"}) ||
		!slices.Equal(id.Publish, []string{"chat:general"}) {
		t.Fatalf("identity = %+v", id)
	}
	if id.Claims["name"] != "Ann" || id.Claims["tier"] != float64(3) || id.Claims["sub"] != "u42" {
		t.Fatalf("claims = %v", id.Claims)
	}
	if !id.CanJoin("chat:x") || id.CanJoin("dm:x") || !id.CanPublish("chat:general") || id.CanPublish("chat:other") {
		t.Fatal("CanJoin/CanPublish disagree with the grants")
	}
}

func TestVerifyRoomClaimShapes(t *testing.T) {
	v := hsVerifier(t)
	cases := []struct {
		name  string
		rooms any
		want  []string
		code  string
	}{
		{"array", []any{"a", "b"}, []string{"a", "b"}, ""},
		{"single string", "a", []string{"a"}, ""},
		{"null", nil, nil, ""},
		{"empty array", []any{}, []string{}, ""},
		{"number", 5, nil, CodeTokenClaims},
		{"object", map[string]any{"a": 1}, nil, CodeTokenClaims},
		{"bool", true, nil, CodeTokenClaims},
		{"array with number", []any{"a", 1}, nil, CodeTokenClaims},
		{"array with null", []any{"a", nil}, nil, CodeTokenClaims},
		{"nested array", []any{[]any{"a"}}, nil, CodeTokenClaims},
		{"empty string", "", nil, CodeTokenClaims},
		{"array with empty string", []any{"a", ""}, nil, CodeTokenClaims},
	}
	for _, claim := range []string{"rooms", "join", "publish"} {
		for _, c := range cases {
			t.Run(claim+"/"+c.name, func(t *testing.T) {
				tok := mint(t, "HS256", "", Claims{Subject: "a", Extra: map[string]any{claim: c.rooms}})
				id, err := verify(v, tok)
				if c.code != "" {
					wantCode(t, err, c.code)
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				got := map[string][]string{"rooms": id.Rooms, "join": id.Join, "publish": id.Publish}[claim]
				if !slices.Equal(got, c.want) {
					t.Fatalf("%s = %#v, want %#v", claim, got, c.want)
				}
			})
		}
	}
}

func TestVerifyCustomClaimNames(t *testing.T) {
	names := ClaimNames{Rooms: "https://h.io/rooms", Join: "https://h.io/join", Publish: "pub"}
	v := newVerifier(t, Config{Algorithms: []string{"HS256"}, Secret: testSecret, Claims: names})
	tok, err := Sign(SignConfig{Algorithm: "HS256", Secret: testSecret, Names: names, Now: fixedNow},
		Claims{Subject: "a", Rooms: []string{"r"}, Join: []string{"j*"}, Publish: []string{"p"}})
	if err != nil {
		t.Fatal(err)
	}
	id, err := verify(v, tok)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(id.Rooms, []string{"r"}) || !slices.Equal(id.Join, []string{"j*"}) || !slices.Equal(id.Publish, []string{"p"}) {
		t.Fatalf("identity = %+v", id)
	}
	// The default names mean nothing to this verifier.
	id, err = verify(v, mint(t, "HS256", "", Claims{Subject: "a", Rooms: []string{"r"}}))
	if err != nil || len(id.Rooms) != 0 {
		t.Fatalf("default-named rooms were used: %+v, %v", id, err)
	}
}

// An unsigned token must never verify, whatever the casing of "none" and
// whatever algorithms are configured.
func TestAlgNoneRejected(t *testing.T) {
	k := keys(t)
	verifiers := map[string]*Verifier{
		"HS256": hsVerifier(t),
		"RS256": newVerifier(t, Config{Algorithms: []string{"RS256"}, PublicKeys: []Key{{PEM: pubPEM(t, k.rsa.Public())}}}),
	}
	for vname, v := range verifiers {
		for _, alg := range []string{"none", "None", "NONE", "nOnE"} {
			t.Run(vname+"/"+alg, func(t *testing.T) {
				tok := rawToken(t, map[string]any{"alg": alg, "typ": "JWT"}, baseClaims(), nil)
				if !strings.HasSuffix(tok, ".") {
					t.Fatalf("crafted token %q should have an empty signature", tok)
				}
				_, err := verify(v, tok)
				wantCode(t, err, CodeTokenAlgorithm)
				// Also with a junk signature appended.
				_, err = verify(v, tok+"c2ln")
				wantCode(t, err, CodeTokenAlgorithm)
			})
		}
	}
}

// The classic confusion attack: the attacker signs HS256 with the server's
// RSA public key (which is public) as the HMAC secret, hoping the server
// feeds its "key" to HMAC.
func TestAlgorithmConfusionRejected(t *testing.T) {
	k := keys(t)
	pub := pubPEM(t, k.rsa.Public())
	der := x509.MarshalPKCS1PublicKey(&k.rsa.PublicKey)
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: der})

	for _, secret := range [][]byte{pub, pkcs1, der} {
		forged := rawToken(t, map[string]any{"alg": "HS256", "typ": "JWT"}, baseClaims(), hs256(secret))

		// RS256 only: HS256 is not allowed at all.
		v := newVerifier(t, Config{Algorithms: []string{"RS256"}, PublicKeys: []Key{{PEM: pub}}})
		_, err := verify(v, forged)
		wantCode(t, err, CodeTokenAlgorithm)

		// Same with a kid naming the RSA key.
		forgedKid := rawToken(t, map[string]any{"alg": "HS256", "kid": "rsa"}, baseClaims(), hs256(secret))
		v = newVerifier(t, Config{Algorithms: []string{"RS256"}, PublicKeys: []Key{{ID: "rsa", PEM: pub}}})
		_, err = verify(v, forgedKid)
		wantCode(t, err, CodeTokenAlgorithm)

		// Both families allowed: HS256 uses only the configured secret, so
		// the forged signature does not match.
		v = newVerifier(t, Config{Algorithms: []string{"RS256", "HS256"}, Secret: testSecret, PublicKeys: []Key{{ID: "rsa", PEM: pub}}})
		_, err = verify(v, forgedKid)
		wantCode(t, err, CodeTokenSignature)
	}
}

func TestAlgorithmNotAllowed(t *testing.T) {
	k := keys(t)
	v := newVerifier(t, Config{Algorithms: []string{"ES256"}, PublicKeys: []Key{{PEM: pubPEM(t, k.ec.Public())}}})
	for _, alg := range []string{"HS256", "RS256", "EdDSA"} {
		_, err := verify(v, mint(t, alg, "", Claims{Subject: "a"}))
		wantCode(t, err, CodeTokenAlgorithm)
	}
	// Algorithms unknown to jwt or to this package.
	for _, alg := range []string{"HS1", "PS256", "ES512", "RS384", ""} {
		tok := rawToken(t, map[string]any{"alg": alg}, baseClaims(), hs256(testSecret))
		_, err := verify(v, tok)
		wantCode(t, err, CodeTokenAlgorithm)
	}
	// Attacker-chosen header values are clipped in messages.
	long := strings.Repeat("X", 500)
	_, err := verify(v, rawToken(t, map[string]any{"alg": long}, baseClaims(), nil))
	wantCode(t, err, CodeTokenAlgorithm)
	var ae *Error
	if errors.As(err, &ae); len(ae.Message) > 100 {
		t.Fatalf("message not clipped: %d bytes", len(ae.Message))
	}
	// alg present but not a string, or absent.
	_, err = verify(v, rawToken(t, map[string]any{"alg": 256}, baseClaims(), nil))
	wantCode(t, err, CodeTokenMalformed)
	_, err = verify(v, rawToken(t, map[string]any{"typ": "JWT"}, baseClaims(), nil))
	wantCode(t, err, CodeTokenMalformed)
}

// A kid naming a key of another type is refused before any signature check.
func TestKidKeyTypeMismatch(t *testing.T) {
	k := keys(t)
	v := newVerifier(t, Config{
		Algorithms: []string{"RS256", "ES256"},
		PublicKeys: []Key{{ID: "rsa", PEM: pubPEM(t, k.rsa.Public())}, {ID: "ec", PEM: pubPEM(t, k.ec.Public())}},
	})
	_, err := verify(v, mint(t, "ES256", "rsa", Claims{Subject: "a"}))
	wantCode(t, err, CodeTokenAlgorithm)
	_, err = verify(v, mint(t, "RS256", "ec", Claims{Subject: "a"}))
	wantCode(t, err, CodeTokenAlgorithm)
	mustVerify(t, v, mint(t, "ES256", "ec", Claims{Subject: "a"}))
}

func TestSignatureInvalid(t *testing.T) {
	k := keys(t)
	hs := hsVerifier(t)
	tok := mint(t, "HS256", "", Claims{Subject: "alice"})

	// Wrong secret.
	other, err := Sign(SignConfig{Algorithm: "HS256", Secret: []byte(strings.Repeat("x", 32)), Now: fixedNow}, Claims{Subject: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = verify(hs, other)
	wantCode(t, err, CodeTokenSignature)

	// Payload swapped for another one, signature kept.
	parts := strings.Split(tok, ".")
	evil := baseClaims()
	evil["sub"] = "admin"
	_, err = verify(hs, parts[0]+"."+seg(t, evil)+"."+parts[2])
	wantCode(t, err, CodeTokenSignature)

	// Signature of wrong length, and empty.
	_, err = verify(hs, parts[0]+"."+parts[1]+".AAAA")
	wantCode(t, err, CodeTokenSignature)
	_, err = verify(hs, parts[0]+"."+parts[1]+".")
	wantCode(t, err, CodeTokenSignature)

	// Asymmetric: signed by another key of the right type.
	for _, c := range []struct {
		alg       string
		pub, priv crypto.Signer
	}{{"RS256", k.rsa, k.rsa2}, {"ES256", k.ec, k.ec2}, {"EdDSA", k.ed, k.ed2}} {
		v := newVerifier(t, Config{Algorithms: []string{c.alg}, PublicKeys: []Key{{PEM: pubPEM(t, c.pub.Public())}}})
		_, err := verify(v, mintWith(t, c.alg, "", c.priv, Claims{Subject: "a"}))
		wantCode(t, err, CodeTokenSignature)
	}
}

// Keys offered inside the token (jwk, jku, x5u, x5c headers) are ignored:
// only configured keys count.
func TestEmbeddedKeyHeadersIgnored(t *testing.T) {
	k := keys(t)
	v := newVerifier(t, Config{Algorithms: []string{"RS256"}, PublicKeys: []Key{{PEM: pubPEM(t, k.rsa.Public())}}})
	attacker := k.rsa2
	n := attacker.N.Bytes()
	header := map[string]any{
		"alg": "RS256",
		"jwk": map[string]any{"kty": "RSA", "n": b64url(n), "e": "AQAB"},
		"jku": "http://127.0.0.1:1/jwks",
		"x5u": "http://127.0.0.1:1/cert",
	}
	tok := rawToken(t, header, baseClaims(), func(input string) []byte {
		h := crypto.SHA256.New()
		h.Write([]byte(input))
		sig, err := rsa.SignPKCS1v15(rand.Reader, attacker, crypto.SHA256, h.Sum(nil))
		if err != nil {
			t.Fatal(err)
		}
		return sig
	})
	_, err := verify(v, tok)
	wantCode(t, err, CodeTokenSignature)
}

func TestTimeClaims(t *testing.T) {
	const leeway = 30 * time.Second
	v := newVerifier(t, Config{Algorithms: []string{"HS256"}, Secret: testSecret, Leeway: leeway})
	strict := hsVerifier(t)
	at := func(d time.Duration) int64 { return t0.Add(d).Unix() }
	cases := []struct {
		name   string
		claims map[string]any
		code   string // with leeway
		strict string // without leeway
	}{
		{"valid", map[string]any{"iat": at(0), "exp": at(time.Hour)}, "", ""},
		{"expired long ago", map[string]any{"exp": at(-time.Hour)}, CodeTokenExpired, CodeTokenExpired},
		{"expired within leeway", map[string]any{"exp": at(-10 * time.Second)}, "", CodeTokenExpired},
		{"expires now", map[string]any{"exp": at(0)}, "", CodeTokenExpired},
		{"nbf in future", map[string]any{"exp": at(time.Hour), "nbf": at(time.Minute)}, CodeTokenNotYetValid, CodeTokenNotYetValid},
		{"nbf within leeway", map[string]any{"exp": at(time.Hour), "nbf": at(10 * time.Second)}, "", CodeTokenNotYetValid},
		{"nbf past", map[string]any{"exp": at(time.Hour), "nbf": at(-time.Minute)}, "", ""},
		{"iat in future", map[string]any{"exp": at(time.Hour), "iat": at(time.Minute)}, CodeTokenNotYetValid, CodeTokenNotYetValid},
		{"iat within leeway", map[string]any{"exp": at(time.Hour), "iat": at(10 * time.Second)}, "", CodeTokenNotYetValid},
		{"missing exp", map[string]any{"iat": at(0)}, CodeTokenClaims, CodeTokenClaims},
		{"exp is a string", map[string]any{"exp": "tomorrow"}, CodeTokenClaims, CodeTokenClaims},
		{"nbf is a bool", map[string]any{"exp": at(time.Hour), "nbf": true}, CodeTokenClaims, CodeTokenClaims},
		{"iat is an array", map[string]any{"exp": at(time.Hour), "iat": []any{1}}, CodeTokenClaims, CodeTokenClaims},
		{"expired and wrong type", map[string]any{"exp": at(-time.Hour), "nbf": "x"}, CodeTokenClaims, CodeTokenClaims},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			claims := map[string]any{"sub": "a"}
			for k, val := range c.claims {
				claims[k] = val
			}
			tok := rawToken(t, map[string]any{"alg": "HS256"}, claims, hs256(testSecret))
			for _, vc := range []struct {
				v    *Verifier
				code string
			}{{v, c.code}, {strict, c.strict}} {
				_, err := verify(vc.v, tok)
				if vc.code == "" {
					if err != nil {
						t.Fatalf("unexpected error %v", err)
					}
					continue
				}
				wantCode(t, err, vc.code)
			}
		})
	}
}

func TestAllowMissingExp(t *testing.T) {
	v := newVerifier(t, Config{Algorithms: []string{"HS256"}, Secret: testSecret, AllowMissingExp: true})
	id, err := verify(v, rawToken(t, map[string]any{"alg": "HS256"}, map[string]any{"sub": "a"}, hs256(testSecret)))
	if err != nil {
		t.Fatal(err)
	}
	if !id.Expires.IsZero() {
		t.Fatalf("Expires = %v, want zero", id.Expires)
	}
	// exp is still enforced when present.
	_, err = verify(v, mint(t, "HS256", "", Claims{Subject: "a", TTL: -time.Hour}))
	wantCode(t, err, CodeTokenExpired)
}

func TestIssuer(t *testing.T) {
	v := newVerifier(t, Config{Algorithms: []string{"HS256"}, Secret: testSecret, Issuer: "https://id.example"})
	mustVerify(t, v, mint(t, "HS256", "", Claims{Subject: "a", Issuer: "https://id.example"}))
	_, err := verify(v, mint(t, "HS256", "", Claims{Subject: "a", Issuer: "https://evil.example"}))
	wantCode(t, err, CodeTokenIssuer)
	_, err = verify(v, mint(t, "HS256", "", Claims{Subject: "a"}))
	wantCode(t, err, CodeTokenIssuer)
	_, err = verify(v, mint(t, "HS256", "", Claims{Subject: "a", Extra: map[string]any{"iss": ""}}))
	wantCode(t, err, CodeTokenIssuer)
	_, err = verify(v, mint(t, "HS256", "", Claims{Subject: "a", Extra: map[string]any{"iss": 7}}))
	wantCode(t, err, CodeTokenClaims)
	// Issuer mismatch outranks expiry: refreshing would not help.
	_, err = verify(v, mint(t, "HS256", "", Claims{Subject: "a", Issuer: "x", TTL: -time.Hour}))
	wantCode(t, err, CodeTokenIssuer)
	// Without Config.Issuer any iss passes.
	if _, err := verify(hsVerifier(t), mint(t, "HS256", "", Claims{Subject: "a", Issuer: "whoever"})); err != nil {
		t.Fatal(err)
	}
	// ...but its type is still checked, as is aud's.
	_, err = verify(hsVerifier(t), mint(t, "HS256", "", Claims{Subject: "a", Extra: map[string]any{"iss": 1}}))
	wantCode(t, err, CodeTokenClaims)
	_, err = verify(hsVerifier(t), mint(t, "HS256", "", Claims{Subject: "a", Extra: map[string]any{"aud": 1}}))
	wantCode(t, err, CodeTokenClaims)
	_, err = verify(hsVerifier(t), mint(t, "HS256", "", Claims{Subject: "a", Extra: map[string]any{"aud": []any{"x", 1}}}))
	wantCode(t, err, CodeTokenClaims)
}

func TestAudience(t *testing.T) {
	v := newVerifier(t, Config{Algorithms: []string{"HS256"}, Secret: testSecret, Audience: []string{"herald", "herald-staging"}})
	cases := []struct {
		name string
		aud  any
		code string
	}{
		{"string", "herald", ""},
		{"second configured", "herald-staging", ""},
		{"array containing", []any{"other", "herald"}, ""},
		{"single-element array", []any{"herald"}, ""},
		{"string mismatch", "other", CodeTokenAudience},
		{"array mismatch", []any{"a", "b"}, CodeTokenAudience},
		{"missing", nil, CodeTokenAudience},
		{"empty string", "", CodeTokenAudience},
		{"empty array", []any{}, CodeTokenAudience},
		{"number", 5, CodeTokenClaims},
		{"object", map[string]any{"herald": true}, CodeTokenClaims},
		{"array with number", []any{"herald", 5}, CodeTokenClaims},
		{"case differs", "Herald", CodeTokenAudience},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			claims := baseClaims()
			if c.aud != nil {
				claims["aud"] = c.aud
			}
			_, err := verify(v, rawToken(t, map[string]any{"alg": "HS256"}, claims, hs256(testSecret)))
			if c.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantCode(t, err, c.code)
		})
	}
}

func TestSubject(t *testing.T) {
	v := hsVerifier(t)
	for _, c := range []struct {
		name string
		sub  any
		code string
	}{
		{"missing", nil, CodeTokenSubject},
		{"empty", "", CodeTokenSubject},
		{"number", 42, CodeTokenClaims},
		{"object", map[string]any{}, CodeTokenClaims},
	} {
		t.Run(c.name, func(t *testing.T) {
			claims := baseClaims()
			delete(claims, "sub")
			if c.sub != nil {
				claims["sub"] = c.sub
			}
			_, err := verify(v, rawToken(t, map[string]any{"alg": "HS256"}, claims, hs256(testSecret)))
			wantCode(t, err, c.code)
		})
	}
	// JSON null is as good as missing.
	claims := baseClaims()
	claims["sub"] = nil
	_, err := verify(v, rawToken(t, map[string]any{"alg": "HS256"}, claims, hs256(testSecret)))
	wantCode(t, err, CodeTokenSubject)
}

func TestMalformed(t *testing.T) {
	v := hsVerifier(t)
	good := mint(t, "HS256", "", Claims{Subject: "a"})
	parts := strings.Split(good, ".")
	cases := map[string]string{
		"one segment":          "abc",
		"two segments":         "abc.def",
		"four segments":        good + ".x",
		"bad base64 header":    "!!!." + parts[1] + "." + parts[2],
		"bad base64 payload":   parts[0] + ".***." + parts[2],
		"bad base64 signature": parts[0] + "." + parts[1] + ".%%%",
		"padded header":        parts[0] + "=." + parts[1] + "." + parts[2],
		"header not JSON":      b64url([]byte("hello")) + "." + parts[1] + "." + parts[2],
		"header is an array":   b64url([]byte(`["HS256"]`)) + "." + parts[1] + "." + parts[2],
		"payload not JSON":     parts[0] + "." + b64url([]byte("{")) + "." + parts[2],
		"payload is a string":  parts[0] + "." + b64url([]byte(`"x"`)) + "." + parts[2],
		"too long":             good + strings.Repeat("A", MaxTokenBytes),
		"spaces":               "   ",
		"kid is a number":      rawToken(t, map[string]any{"alg": "HS256", "kid": 1}, baseClaims(), hs256(testSecret)),
		"crit header":          rawToken(t, map[string]any{"alg": "HS256", "crit": []any{"b64"}, "b64": false}, baseClaims(), hs256(testSecret)),
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := verify(v, tok)
			wantCode(t, err, CodeTokenMalformed)
		})
	}
	_, err := verify(v, "")
	wantCode(t, err, CodeTokenMissing)
}

// HS* never looks keys up by kid; a string kid is harmless.
func TestHMACIgnoresKid(t *testing.T) {
	v := hsVerifier(t)
	mustVerify(t, v, mint(t, "HS256", "anything", Claims{Subject: "a"}))
}

func TestStaticKeySelection(t *testing.T) {
	k := keys(t)
	rsa1, rsa2 := pubPEM(t, k.rsa.Public()), pubPEM(t, k.rsa2.Public())

	named := newVerifier(t, Config{Algorithms: []string{"RS256"}, PublicKeys: []Key{{ID: "one", PEM: rsa1}, {ID: "two", PEM: rsa2}}})
	if _, err := verify(named, mintWith(t, "RS256", "one", k.rsa, Claims{Subject: "a"})); err != nil {
		t.Fatal(err)
	}
	if _, err := verify(named, mintWith(t, "RS256", "two", k.rsa2, Claims{Subject: "a"})); err != nil {
		t.Fatal(err)
	}
	// kid pointing at the other key: the signature check fails.
	_, err := verify(named, mintWith(t, "RS256", "two", k.rsa, Claims{Subject: "a"}))
	wantCode(t, err, CodeTokenSignature)
	// Unknown kid, and no kid with two candidates.
	_, err = verify(named, mintWith(t, "RS256", "three", k.rsa, Claims{Subject: "a"}))
	wantCode(t, err, CodeTokenKeyUnknown)
	_, err = verify(named, mintWith(t, "RS256", "", k.rsa, Claims{Subject: "a"}))
	wantCode(t, err, CodeTokenKeyUnknown)

	// A single key, named or not, verifies tokens without kid.
	single := newVerifier(t, Config{Algorithms: []string{"RS256"}, PublicKeys: []Key{{ID: "one", PEM: rsa1}}})
	if _, err := verify(single, mintWith(t, "RS256", "", k.rsa, Claims{Subject: "a"})); err != nil {
		t.Fatal(err)
	}
	// An unnamed key also verifies tokens whose kid names no other key.
	unnamed := newVerifier(t, Config{Algorithms: []string{"RS256"}, PublicKeys: []Key{{PEM: rsa1}}})
	if _, err := verify(unnamed, mintWith(t, "RS256", "issuer-kid-7", k.rsa, Claims{Subject: "a"})); err != nil {
		t.Fatal(err)
	}
	// Mixed types without kid: only the key fitting alg counts.
	mixed := newVerifier(t, Config{
		Algorithms: []string{"RS256", "ES256", "EdDSA"},
		PublicKeys: []Key{{PEM: rsa1}, {PEM: pubPEM(t, k.ec.Public())}, {PEM: pubPEM(t, k.ed.Public())}},
	})
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		if _, err := verify(mixed, mint(t, alg, "", Claims{Subject: "a"})); err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
	}
}

func TestPublicKeyPEMForms(t *testing.T) {
	k := keys(t)
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k.rsa.PublicKey)})
	forms := map[string]struct {
		alg string
		pem []byte
	}{
		"PKIX RSA":        {"RS256", pubPEM(t, k.rsa.Public())},
		"PKCS1 RSA":       {"RS256", pkcs1},
		"certificate RSA": {"RS256", selfSigned(t, k.rsa)},
		"certificate EC":  {"ES256", selfSigned(t, k.ec)},
		"certificate Ed":  {"EdDSA", selfSigned(t, k.ed)},
		"PKIX with text":  {"ES256", append([]byte("# comment\n"), pubPEM(t, k.ec.Public())...)},
	}
	for name, f := range forms {
		t.Run(name, func(t *testing.T) {
			v := newVerifier(t, Config{Algorithms: []string{f.alg}, PublicKeys: []Key{{ID: "k", PEM: f.pem}}})
			mustVerify(t, v, mint(t, f.alg, "k", Claims{Subject: "a"}))
		})
	}
}

func selfSigned(t testing.TB, priv crypto.Signer) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "issuer"},
		NotBefore:    t0.Add(-time.Hour),
		NotAfter:     t0.Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, priv.Public(), priv)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestNewVerifierErrors(t *testing.T) {
	k := keys(t)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaPEM := pubPEM(t, k.rsa.Public())
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no algorithms", Config{}, "Algorithms is empty"},
		{"none", Config{Algorithms: []string{"none"}}, `"none" is never allowed`},
		{"None", Config{Algorithms: []string{"HS256", "None"}, Secret: testSecret}, `"none" is never allowed`},
		{"unknown", Config{Algorithms: []string{"PS256"}}, `unsupported algorithm "PS256"`},
		{"lowercase", Config{Algorithms: []string{"hs256"}, Secret: testSecret}, `unsupported algorithm "hs256"`},
		{"HS256 short", Config{Algorithms: []string{"HS256"}, Secret: testSecret[:31]}, "HS256 needs a Secret of at least 32 random bytes, got 31"},
		{"HS384 short", Config{Algorithms: []string{"HS384"}, Secret: testSecret[:47]}, "HS384 needs a Secret of at least 48 random bytes, got 47"},
		{"HS512 short", Config{Algorithms: []string{"HS256", "HS512"}, Secret: testSecret[:40]}, "HS512 needs a Secret of at least 64 random bytes, got 40"},
		{"no secret", Config{Algorithms: []string{"HS256"}}, "got 0"},
		{"secret without HS", Config{Algorithms: []string{"RS256"}, Secret: testSecret, PublicKeys: []Key{{PEM: rsaPEM}}}, "Secret is set but no HS"},
		{"no RSA key", Config{Algorithms: []string{"RS256"}}, "RS256 is allowed but no RSA key"},
		{"RSA key for ES256", Config{Algorithms: []string{"ES256"}, PublicKeys: []Key{{ID: "r", PEM: rsaPEM}}}, `PublicKeys[0] (ID "r") is an RSA key, but no allowed algorithm (ES256) uses one`},
		{"EC key for EdDSA", Config{Algorithms: []string{"EdDSA"}, PublicKeys: []Key{{PEM: pubPEM(t, k.ec.Public())}}}, "is an EC P-256 key, but no allowed algorithm"},
		{"Ed key for RS256", Config{Algorithms: []string{"RS256"}, PublicKeys: []Key{{PEM: pubPEM(t, k.ed.Public())}}}, "is an Ed25519 key, but no allowed algorithm"},
		{"EC key missing for ES256", Config{Algorithms: []string{"RS256", "ES256"}, PublicKeys: []Key{{PEM: rsaPEM}}}, "ES256 is allowed but no EC P-256 key"},
		{"P-384 key", Config{Algorithms: []string{"ES256"}, PublicKeys: []Key{{PEM: pubPEM(t, p384.Public())}}}, "P-384 is not supported"},
		{"small RSA", Config{Algorithms: []string{"RS256"}, PublicKeys: []Key{{PEM: pubPEM(t, small.Public())}}}, "shorter than 2048 bits"},
		{"not PEM", Config{Algorithms: []string{"RS256"}, PublicKeys: []Key{{PEM: []byte("hello")}}}, "no PEM block"},
		{"private key PEM", Config{Algorithms: []string{"RS256"}, PublicKeys: []Key{{PEM: privPEM(t, k.rsa)}}}, `"PRIVATE KEY" is not a public key`},
		{"garbage PUBLIC KEY", Config{Algorithms: []string{"RS256"}, PublicKeys: []Key{{PEM: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1, 2}})}}}, "parse PUBLIC KEY"},
		{"duplicate ID", Config{Algorithms: []string{"RS256"}, PublicKeys: []Key{{ID: "a", PEM: rsaPEM}, {ID: "a", PEM: rsaPEM}}}, `duplicate ID "a"`},
		{"negative leeway", Config{Algorithms: []string{"HS256"}, Secret: testSecret, Leeway: -time.Second}, "Leeway is negative"},
		{"negative timeout", Config{Algorithms: []string{"RS256"}, JWKSURL: "https://id.example/jwks", JWKSTimeout: -1}, "JWKSTimeout is negative"},
		{"empty audience", Config{Algorithms: []string{"HS256"}, Secret: testSecret, Audience: []string{""}}, "Audience contains an empty string"},
		{"JWKS without asymmetric", Config{Algorithms: []string{"HS256"}, Secret: testSecret, JWKSURL: "https://id.example/jwks"}, "JWKSURL is set but no RS256"},
		{"JWKS bad scheme", Config{Algorithms: []string{"RS256"}, JWKSURL: "file:///etc/jwks.json"}, "is not an http(s) URL"},
		{"JWKS no host", Config{Algorithms: []string{"RS256"}, JWKSURL: "https:///jwks"}, "is not an http(s) URL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := NewVerifier(c.cfg)
			if err == nil {
				v.Close()
				t.Fatal("NewVerifier succeeded")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not contain %q", err, c.want)
			}
			var ae *Error
			if errors.As(err, &ae) {
				t.Fatalf("config error should not be a verification *Error: %v", err)
			}
		})
	}
}

// The verifier keeps its own copy of the configuration.
func TestConfigIsCopied(t *testing.T) {
	secret := append([]byte(nil), testSecret...)
	cfg := Config{Algorithms: []string{"HS256"}, Secret: secret, Audience: []string{"herald"}, Now: fixedNow}
	v := newVerifier(t, cfg)
	tok := mint(t, "HS256", "", Claims{Subject: "a", Audience: []string{"herald"}})
	secret[0] ^= 0xff
	cfg.Audience[0] = "other"
	cfg.Algorithms[0] = "HS512"
	mustVerify(t, v, tok)
}

// One case per code, so a new code cannot ship untested.
func TestEveryErrorCode(t *testing.T) {
	k := keys(t)
	v := newVerifier(t, Config{
		Algorithms: []string{"HS256", "RS256"},
		Secret:     testSecret,
		PublicKeys: []Key{{ID: "rsa", PEM: pubPEM(t, k.rsa.Public())}},
		Issuer:     "iss",
		Audience:   []string{"aud"},
	})
	ok := Claims{Subject: "a", Issuer: "iss", Audience: []string{"aud"}}
	with := func(f func(*Claims)) Claims { c := ok; f(&c); return c }
	down := newVerifier(t, Config{Algorithms: []string{"RS256"}, JWKSURL: "http://127.0.0.1:1/jwks", JWKSTimeout: time.Second})

	cases := []struct {
		code string
		v    *Verifier
		tok  string
	}{
		{CodeTokenMissing, v, ""},
		{CodeTokenMalformed, v, "not-a-jwt"},
		{CodeTokenSignature, v, mint(t, "HS256", "", ok)[:len(mint(t, "HS256", "", ok))-2] + "AA"},
		{CodeTokenAlgorithm, v, rawToken(t, map[string]any{"alg": "none"}, baseClaims(), nil)},
		{CodeTokenExpired, v, mint(t, "HS256", "", with(func(c *Claims) { c.TTL = -time.Minute }))},
		{CodeTokenNotYetValid, v, mint(t, "HS256", "", with(func(c *Claims) { c.Extra = map[string]any{"nbf": t0.Add(time.Hour).Unix()} }))},
		{CodeTokenIssuer, v, mint(t, "HS256", "", with(func(c *Claims) { c.Issuer = "other" }))},
		{CodeTokenAudience, v, mint(t, "HS256", "", with(func(c *Claims) { c.Audience = []string{"other"} }))},
		{CodeTokenSubject, v, rawToken(t, map[string]any{"alg": "HS256"}, map[string]any{"iss": "iss", "aud": "aud", "exp": t0.Add(time.Hour).Unix()}, hs256(testSecret))},
		{CodeTokenClaims, v, mint(t, "HS256", "", with(func(c *Claims) { c.Extra = map[string]any{"rooms": 1} }))},
		{CodeTokenKeyUnknown, v, mintWith(t, "RS256", "nope", k.rsa2, ok)},
		{CodeJWKSUnavailable, down, mint(t, "RS256", "k", ok)},
	}
	seen := map[string]bool{}
	for _, c := range cases {
		_, err := verify(c.v, c.tok)
		wantCode(t, err, c.code)
		seen[c.code] = true
	}
	if len(seen) != 12 {
		t.Fatalf("covered %d codes, want 12", len(seen))
	}
}

func TestErrorValue(t *testing.T) {
	_, err := verify(hsVerifier(t), mint(t, "HS256", "", Claims{Subject: "a", TTL: -time.Hour}))
	if !errors.Is(err, &Error{Code: CodeTokenExpired}) {
		t.Fatalf("errors.Is by code failed for %v", err)
	}
	if errors.Is(err, &Error{Code: CodeTokenSignature}) {
		t.Fatal("errors.Is matched another code")
	}
	var ae *Error
	if !errors.As(err, &ae) || errors.Unwrap(ae) == nil {
		t.Fatal("cause is not exposed by Unwrap")
	}
	if s := err.Error(); !strings.HasPrefix(s, "auth: token_expired: token has expired") {
		t.Fatalf("Error() = %q", s)
	}
	e := &Error{Code: CodeTokenMissing, Message: "m"}
	if e.Error() != "auth: token_missing: m" {
		t.Fatalf("Error() = %q", e.Error())
	}
}

func TestVerifyConcurrent(t *testing.T) {
	v := hsVerifier(t)
	tok := mint(t, "HS256", "", Claims{Subject: "a", Rooms: []string{"r"}})
	done := make(chan error, 8)
	for range 8 {
		go func() {
			for range 200 {
				if _, err := verify(v, tok); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
