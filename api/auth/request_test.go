package auth

import (
	"net/http"
	"net/url"
	"testing"
)

func TestTokenFromRequest(t *testing.T) {
	h := func(kv ...string) http.Header {
		out := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			out.Add(kv[i], kv[i+1])
		}
		return out
	}
	q := func(tok string) url.Values { return url.Values{"token": {tok}} }
	cases := []struct {
		name    string
		payload string
		query   url.Values
		headers http.Header
		want    string
		code    string
	}{
		{name: "auth payload", payload: `{"token":"A"}`, want: "A"},
		{name: "auth payload with other fields", payload: ` {"v":1,"token":"A","x":[1]} `, want: "A"},
		{name: "query", query: q("Q"), want: "Q"},
		{name: "bearer", headers: h("Authorization", "Bearer H"), want: "H"},
		{name: "bearer lowercase", headers: h("Authorization", "bearer H"), want: "H"},
		{name: "bearer uppercase", headers: h("authorization", "BEARER H"), want: "H"},
		{name: "bearer extra spaces", headers: h("Authorization", "  Bearer    H  "), want: "H"},
		{name: "auth beats query and header", payload: `{"token":"A"}`, query: q("Q"), headers: h("Authorization", "Bearer H"), want: "A"},
		{name: "query beats header", payload: `{}`, query: q("Q"), headers: h("Authorization", "Bearer H"), want: "Q"},
		{name: "empty auth token falls through", payload: `{"token":""}`, query: q("Q"), want: "Q"},
		{name: "null auth token falls through", payload: `{"token":null}`, headers: h("Authorization", "Bearer H"), want: "H"},
		{name: "null payload falls through", payload: `null`, query: q("Q"), want: "Q"},
		{name: "empty query falls through", query: q(""), headers: h("Authorization", "Bearer H"), want: "H"},
		{name: "escaped string", payload: `{"token":"a\u002eb"}`, want: "a.b"},
		{name: "case-sensitive key", payload: `{"Token":"A"}`, code: CodeTokenMissing},
		{name: "nothing", code: CodeTokenMissing},
		{name: "empty object", payload: `{}`, code: CodeTokenMissing},
		{name: "basic auth ignored", headers: h("Authorization", "Basic dXNlcjpwdw=="), code: CodeTokenMissing},
		{name: "bearer without token", headers: h("Authorization", "Bearer "), code: CodeTokenMissing},
		{name: "bearer glued", headers: h("Authorization", "BearerH"), code: CodeTokenMissing},
		{name: "token number", payload: `{"token":42}`, query: q("Q"), code: CodeTokenMalformed},
		{name: "token object", payload: `{"token":{"a":1}}`, code: CodeTokenMalformed},
		{name: "token array", payload: `{"token":["A"]}`, code: CodeTokenMalformed},
		{name: "token bool", payload: `{"token":true}`, code: CodeTokenMalformed},
		{name: "payload array", payload: `["A"]`, code: CodeTokenMalformed},
		{name: "payload string", payload: `"A"`, code: CodeTokenMalformed},
		{name: "payload invalid JSON", payload: `{"token":`, code: CodeTokenMalformed},
		{name: "payload trailing garbage", payload: `{"token":"A"}x`, code: CodeTokenMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var payload []byte
			if c.payload != "" {
				payload = []byte(c.payload)
			}
			got, err := TokenFromRequest(payload, c.query, c.headers)
			if c.code != "" {
				wantCode(t, err, c.code)
				if got != "" {
					t.Fatalf("token %q returned with an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Fatalf("token = %q, want %q", got, c.want)
			}
		})
	}
}

// The extracted token feeds Verify directly.
func TestTokenFromRequestThenVerify(t *testing.T) {
	v := hsVerifier(t)
	tok := mint(t, "HS256", "", Claims{Subject: "a"})
	got, err := TokenFromRequest([]byte(`{"token":"`+tok+`"}`), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	mustVerify(t, v, got)
}
