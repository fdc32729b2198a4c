package auth

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// TokenFromRequest finds the token a client sent, looking in the places
// Socket.IO clients can put it, in this order:
//
//  1. the CONNECT packet's auth payload, {"token": "..."}: the recommended
//     place, as it stays out of URLs and access logs;
//  2. the "token" query parameter of the handshake request;
//  3. an "Authorization: Bearer <token>" header (scheme case-insensitive),
//     for non-browser clients.
//
// Empty values, a null payload and a null token count as absent. A payload
// that is not a JSON object, or a token that is not a string, is
// CodeTokenMalformed; no token anywhere is CodeTokenMissing. The error is
// always an *Error.
func TokenFromRequest(authPayload []byte, query url.Values, headers http.Header) (string, error) {
	tok, e := tokenFromAuth(authPayload)
	if e != nil {
		return "", e
	}
	if tok != "" {
		return tok, nil
	}
	if tok := query.Get("token"); tok != "" {
		return tok, nil
	}
	if tok := bearer(headers.Get("Authorization")); tok != "" {
		return tok, nil
	}
	return "", newErr(CodeTokenMissing, "no token in the auth payload, the token query parameter or an Authorization: Bearer header", nil)
}

func tokenFromAuth(payload []byte) (string, *Error) {
	payload = bytes.TrimSpace(payload)
	if len(payload) == 0 || string(payload) == "null" {
		return "", nil
	}
	if payload[0] != '{' {
		return "", newErr(CodeTokenMalformed, "auth payload must be a JSON object", nil)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(payload, &obj); err != nil {
		return "", newErr(CodeTokenMalformed, "auth payload is not valid JSON", err)
	}
	raw, ok := obj["token"]
	if !ok || string(raw) == "null" {
		return "", nil
	}
	var tok string
	if err := json.Unmarshal(raw, &tok); err != nil {
		return "", newErr(CodeTokenMalformed, "auth payload token must be a string", err)
	}
	return tok, nil
}

// bearer returns the credentials of a Bearer authorization header, or "".
func bearer(h string) string {
	scheme, rest, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(rest)
}
