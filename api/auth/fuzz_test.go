package auth

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

var knownCodes = map[string]bool{
	CodeTokenMissing: true, CodeTokenMalformed: true, CodeTokenSignature: true,
	CodeTokenAlgorithm: true, CodeTokenExpired: true, CodeTokenNotYetValid: true,
	CodeTokenIssuer: true, CodeTokenAudience: true, CodeTokenSubject: true,
	CodeTokenClaims: true, CodeTokenKeyUnknown: true, CodeJWKSUnavailable: true,
}

// FuzzVerify: arbitrary input never panics, and every failure is an *Error
// with a documented code. Seeds in testdata/fuzz/FuzzVerify include valid
// HS256 tokens (signed with testSecret at t0), so mutations explore deep
// into claim handling.
func FuzzVerify(f *testing.F) {
	f.Add("")
	f.Add("a.b.c")
	f.Add(rawToken(f, map[string]any{"alg": "none"}, baseClaims(), nil))
	f.Add(rawToken(f, map[string]any{"alg": "HS256", "kid": "x"}, baseClaims(), hs256(testSecret)))
	f.Add(mint(f, "ES256", "ec", Claims{Subject: "a", Rooms: []string{"r"}}))
	f.Add(mint(f, "EdDSA", "", Claims{Subject: "a", Join: []string{"j*"}}))

	k := keys(f)
	v, err := NewVerifier(Config{
		Algorithms: []string{"HS256", "ES256", "EdDSA"},
		Secret:     testSecret,
		PublicKeys: []Key{{ID: "ec", PEM: pubPEM(f, k.ec.Public())}, {PEM: pubPEM(f, k.ed.Public())}},
		Leeway:     time.Minute,
		Now:        fixedNow,
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(v.Close)

	f.Fuzz(func(t *testing.T, token string) {
		id, err := verify(v, token)
		if (id == nil) == (err == nil) {
			t.Fatalf("Verify returned id=%v err=%v", id, err)
		}
		if err != nil {
			var ae *Error
			if !errors.As(err, &ae) || ae != err {
				t.Fatalf("error %v (%T) is not an *Error", err, err)
			}
			if !knownCodes[ae.Code] || ae.Message == "" {
				t.Fatalf("bad error %+v", ae)
			}
			return
		}
		if id.UserID == "" || id.Claims == nil {
			t.Fatalf("accepted token without user: %+v", id)
		}
	})
}

// FuzzMatch compares Match with a dynamic-programming reference.
func FuzzMatch(f *testing.F) {
	for _, s := range [][2]string{
		{"chat:*", "chat:lobby"}, {"*", ""}, {"a*b*c", "aXbYc"}, {"*:admin", "org:admin:x"},
		{"a*a*a*b", "aaaaaaaaaaaaaaaa"}, {"?", "a"}, {"", ""}, {"**", "*"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, room string) {
		if len(pattern) > 256 || len(room) > 256 {
			return
		}
		got := Match(pattern, room)
		if want := matchRef(pattern, room); got != want {
			t.Fatalf("Match(%q, %q) = %v, reference says %v", pattern, room, got, want)
		}
		if !strings.Contains(pattern, "*") && got != (pattern == room) {
			t.Fatalf("pattern without * must match exactly: Match(%q, %q) = %v", pattern, room, got)
		}
		if !Match(pattern, pattern) {
			t.Fatalf("pattern %q does not match itself", pattern)
		}
		if Allowed([]string{pattern}, room) != got {
			t.Fatal("Allowed disagrees with Match")
		}
	})
}

// FuzzTokenFromRequest: never panics, returns a token xor an *Error with
// token_missing or token_malformed, and honours the precedence.
func FuzzTokenFromRequest(f *testing.F) {
	f.Add([]byte(`{"token":"abc"}`), "token=q", "Bearer h")
	f.Add([]byte(`{"token":5}`), "", "")
	f.Add([]byte(`null`), "token=q&token=r", "bearer  h ")
	f.Add([]byte(``), "", "Basic xyz")
	f.Add([]byte(`["x"]`), "token=", "Bearer")
	f.Fuzz(func(t *testing.T, payload []byte, rawQuery, authorization string) {
		query, _ := url.ParseQuery(rawQuery)
		headers := http.Header{}
		if authorization != "" {
			headers.Set("Authorization", authorization)
		}
		tok, err := TokenFromRequest(payload, query, headers)
		if err != nil {
			var ae *Error
			if !errors.As(err, &ae) || (ae.Code != CodeTokenMissing && ae.Code != CodeTokenMalformed) {
				t.Fatalf("unexpected error %v", err)
			}
			if tok != "" {
				t.Fatalf("token %q returned with error", tok)
			}
			return
		}
		if tok == "" {
			t.Fatal("empty token without error")
		}
		if a, _ := tokenFromAuth(payload); a == "" {
			if q := query.Get("token"); q != "" && tok != q {
				t.Fatalf("query token %q lost to %q", q, tok)
			}
		}
	})
}
