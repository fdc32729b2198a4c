// Package auth verifies the JSON Web Tokens that browsers present when they
// connect, and turns them into an Identity: the user id plus the rooms the
// socket joins at once and the room patterns it may join or publish to later.
//
// Verification is built on github.com/golang-jwt/jwt/v5 with an explicit
// list of allowed algorithms, and every algorithm is bound to one key type,
// so "alg":"none" and algorithm confusion (an RS256 public key misused as an
// HS256 secret) are rejected. Keys come from a shared secret, static PEM keys,
// a JWKS endpoint, or any mix of them.
package auth

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// MaxTokenBytes bounds the token length, so a hostile client cannot make the
// server base64- and JSON-decode megabytes before the signature check fails.
const MaxTokenBytes = 8 << 10

// Default names of the room-grant claims, used when ClaimNames leaves one empty.
const (
	DefaultRoomsClaim   = "rooms"
	DefaultJoinClaim    = "join"
	DefaultPublishClaim = "publish"
)

// Config says which tokens a Verifier accepts. Only Algorithms and the keys
// those algorithms need are required; everything else has a safe default.
type Config struct {
	// Algorithms lists the accepted "alg" values: HS256, HS384, HS512, RS256,
	// ES256, EdDSA. It must not be empty; "none" is never accepted.
	Algorithms []string

	// Secret is the HMAC key for HS*. It must be at least as long as the
	// hash: 32 bytes for HS256, 48 for HS384, 64 for HS512.
	Secret []byte

	// PublicKeys are static keys for RS256, ES256 and EdDSA.
	PublicKeys []Key

	// JWKSURL is an endpoint publishing a JWK Set (RFC 7517). Its keys are
	// cached, refreshed every JWKSRefreshEvery, and refreshed when a token
	// names an unknown kid (at most once per JWKSMinRefresh).
	JWKSURL string
	// HTTPClient fetches JWKSURL; nil means a plain http.Client. Each fetch is
	// bounded by JWKSTimeout whatever the client's own timeout.
	HTTPClient *http.Client
	// JWKSTimeout bounds one fetch; zero means DefaultJWKSTimeout.
	JWKSTimeout time.Duration
	// JWKSMinRefresh is the least time between refreshes caused by unknown
	// kids; zero means DefaultJWKSMinRefresh.
	JWKSMinRefresh time.Duration
	// JWKSRefreshEvery is the period of background refreshes; zero means
	// DefaultJWKSRefreshEvery.
	JWKSRefreshEvery time.Duration

	// Issuer, when set, must equal the token's iss.
	Issuer string
	// Audience, when set, must contain one of the token's aud values (aud may
	// be a string or an array of strings).
	Audience []string

	// Leeway tolerates clock skew between the issuer and this server when
	// checking exp, nbf and iat.
	Leeway time.Duration
	// AllowMissingExp accepts tokens without exp. Off by default because a
	// token without exp is valid forever once leaked.
	AllowMissingExp bool

	// Claims names the room-grant claims; empty fields take the defaults.
	Claims ClaimNames

	// Now replaces time.Now, for tests; it also drives the JWKS rate limit.
	Now func() time.Time
}

// ClaimNames names the claims that grant rooms, for issuers that cannot use
// the defaults (for example namespaced claims like "https://x.io/rooms").
type ClaimNames struct {
	Rooms   string // exact rooms joined at connect; default "rooms"
	Join    string // patterns the socket may join later; default "join"
	Publish string // patterns the socket may publish to; default "publish"
}

func (n ClaimNames) withDefaults() ClaimNames {
	if n.Rooms == "" {
		n.Rooms = DefaultRoomsClaim
	}
	if n.Join == "" {
		n.Join = DefaultJoinClaim
	}
	if n.Publish == "" {
		n.Publish = DefaultPublishClaim
	}
	return n
}

// Key is a static public key in PEM form: a PKIX "PUBLIC KEY", a PKCS#1 "RSA
// PUBLIC KEY", or a "CERTIFICATE" whose key is used. Only the first PEM block
// is read.
type Key struct {
	// ID is matched against the token's kid. A key without ID also verifies
	// tokens whose kid names no other key, so a single static key works with
	// issuers that stamp a kid.
	ID string
	// PEM holds the encoded key.
	PEM []byte
}

// Identity is what a verified token says about the connecting user.
type Identity struct {
	// UserID is the token's sub; never empty.
	UserID string
	// Rooms are joined at connect; they are exact names, not patterns.
	Rooms []string
	// Join holds patterns (see Match) of rooms the socket may join later.
	Join []string
	// Publish holds patterns of rooms the socket may publish to.
	Publish []string
	// Claims holds every claim of the token, as decoded by encoding/json
	// (numbers are float64), for handlers that need application data.
	Claims map[string]any
	// Expires is the token's exp, or the zero time when it has none.
	Expires time.Time
}

// CanJoin reports whether the token lets the socket join room after connect.
func (id *Identity) CanJoin(room string) bool { return Allowed(id.Join, room) }

// CanPublish reports whether the token lets the socket publish to room.
func (id *Identity) CanPublish(room string) bool { return Allowed(id.Publish, room) }

// Verifier checks tokens against a Config. It is safe for concurrent use;
// call Close when done if Config.JWKSURL is set.
type Verifier struct {
	algs     []string
	secret   []byte
	static   []publicKey
	jwks     *jwksCache // nil without JWKSURL
	parser   *jwt.Parser
	names    ClaimNames
	issuer   string
	audience []string
	reqExp   bool

	closeOnce sync.Once
}

// NewVerifier checks cfg thoroughly, so that mistakes (a short secret, an RSA
// key listed for ES256, an algorithm without any key) fail at startup rather
// than as mysterious rejections. With JWKSURL it starts fetching the key set
// in the background; it does not wait for the first fetch.
func NewVerifier(cfg Config) (*Verifier, error) {
	if len(cfg.Algorithms) == 0 {
		return nil, errors.New("auth: Config.Algorithms is empty; list the algorithms your issuer signs with")
	}
	var (
		algs      []string
		kinds     = map[keyKind]bool{}
		secretMin int
		strongest string
	)
	for _, alg := range cfg.Algorithms {
		if strings.EqualFold(alg, "none") {
			return nil, errors.New(`auth: algorithm "none" is never allowed: it accepts unsigned tokens`)
		}
		kind := algKind(alg)
		if kind == kindNone {
			return nil, fmt.Errorf("auth: unsupported algorithm %q (supported: HS256, HS384, HS512, RS256, ES256, EdDSA)", alg)
		}
		if slices.Contains(algs, alg) {
			continue
		}
		algs = append(algs, alg)
		kinds[kind] = true
		if n := minSecretLen(alg); n > secretMin {
			secretMin, strongest = n, alg
		}
	}

	v := &Verifier{
		algs:     algs,
		names:    cfg.Claims.withDefaults(),
		issuer:   cfg.Issuer,
		audience: slices.Clone(cfg.Audience),
		reqExp:   !cfg.AllowMissingExp,
	}

	switch {
	case kinds[kindHMAC] && len(cfg.Secret) < secretMin:
		return nil, fmt.Errorf("auth: %s needs a Secret of at least %d random bytes, got %d", strongest, secretMin, len(cfg.Secret))
	case !kinds[kindHMAC] && len(cfg.Secret) > 0:
		return nil, errors.New("auth: Secret is set but no HS256/HS384/HS512 algorithm is allowed")
	}
	v.secret = slices.Clone(cfg.Secret)

	ids := map[string]bool{}
	for i, k := range cfg.PublicKeys {
		pub, err := parsePublicKeyPEM(k.PEM)
		if err != nil {
			return nil, fmt.Errorf("auth: PublicKeys[%d] (ID %q): %w", i, k.ID, err)
		}
		kind, err := classifyKey(pub)
		if err != nil {
			return nil, fmt.Errorf("auth: PublicKeys[%d] (ID %q): %w", i, k.ID, err)
		}
		if !kinds[kind] {
			return nil, fmt.Errorf("auth: PublicKeys[%d] (ID %q) is an %s, but no allowed algorithm (%s) uses one", i, k.ID, kind, strings.Join(algs, ", "))
		}
		if k.ID != "" {
			if ids[k.ID] {
				return nil, fmt.Errorf("auth: PublicKeys[%d]: duplicate ID %q", i, k.ID)
			}
			ids[k.ID] = true
		}
		v.static = append(v.static, publicKey{id: k.ID, kind: kind, key: pub})
	}

	asymmetric := false
	for _, alg := range algs {
		kind := algKind(alg)
		if kind == kindHMAC {
			continue
		}
		asymmetric = true
		if cfg.JWKSURL != "" || slices.ContainsFunc(v.static, func(k publicKey) bool { return k.kind == kind }) {
			continue
		}
		return nil, fmt.Errorf("auth: %s is allowed but no %s is in PublicKeys and JWKSURL is empty", alg, kind)
	}

	for _, d := range []struct {
		name string
		val  time.Duration
	}{
		{"Leeway", cfg.Leeway},
		{"JWKSTimeout", cfg.JWKSTimeout},
		{"JWKSMinRefresh", cfg.JWKSMinRefresh},
		{"JWKSRefreshEvery", cfg.JWKSRefreshEvery},
	} {
		if d.val < 0 {
			return nil, fmt.Errorf("auth: %s is negative (%v)", d.name, d.val)
		}
	}
	if slices.Contains(v.audience, "") {
		return nil, errors.New("auth: Audience contains an empty string")
	}

	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(algs),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithTimeFunc(now),
		jwt.WithIssuedAt(),
		jwt.WithStrictDecoding(),
	}
	if v.reqExp {
		opts = append(opts, jwt.WithExpirationRequired())
	}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	if len(v.audience) > 0 {
		opts = append(opts, jwt.WithAudience(v.audience...))
	}
	v.parser = jwt.NewParser(opts...)

	if cfg.JWKSURL != "" {
		if !asymmetric {
			return nil, errors.New("auth: JWKSURL is set but no RS256, ES256 or EdDSA algorithm is allowed")
		}
		u, err := url.Parse(cfg.JWKSURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("auth: JWKSURL %q is not an http(s) URL", cfg.JWKSURL)
		}
		client := cfg.HTTPClient
		if client == nil {
			client = &http.Client{}
		}
		v.jwks = newJWKSCache(cfg.JWKSURL, client,
			orDefault(cfg.JWKSTimeout, DefaultJWKSTimeout),
			orDefault(cfg.JWKSMinRefresh, DefaultJWKSMinRefresh),
			orDefault(cfg.JWKSRefreshEvery, DefaultJWKSRefreshEvery),
			now)
		v.jwks.start()
	}
	return v, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// Close stops the background JWKS refresh and waits for it to end. Tokens
// signed by keys already fetched still verify afterwards; keys are just no
// longer refreshed. Close is idempotent.
func (v *Verifier) Close() {
	v.closeOnce.Do(func() {
		if v.jwks != nil {
			v.jwks.close()
		}
	})
}

// Verify checks token and returns who it identifies. Every failure is an
// *Error whose Code says what to tell the client. ctx bounds only the wait
// for a JWKS refresh; verification itself never blocks.
func (v *Verifier) Verify(ctx context.Context, token string) (*Identity, error) {
	if token == "" {
		return nil, newErr(CodeTokenMissing, "no token was presented", nil)
	}
	if len(token) > MaxTokenBytes {
		return nil, newErr(CodeTokenMalformed, fmt.Sprintf("token is longer than %d bytes", MaxTokenBytes), nil)
	}
	claims := jwt.MapClaims{}
	tok, err := v.parser.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		key, e := v.keyFor(ctx, t)
		if e != nil {
			return nil, e
		}
		return key, nil
	})
	if err != nil {
		return nil, v.classify(tok, claims, err)
	}
	id, e := v.identity(claims)
	if e != nil {
		return nil, e
	}
	return id, nil
}

// keyFor returns the key that must verify t. The signing method has already
// been checked against v.algs by the parser.
func (v *Verifier) keyFor(ctx context.Context, t *jwt.Token) (any, *Error) {
	if _, ok := t.Header["crit"]; ok {
		return nil, newErr(CodeTokenMalformed, "token uses critical header extensions this server does not support", nil)
	}
	kid := ""
	if raw, ok := t.Header["kid"]; ok {
		s, ok := raw.(string)
		if !ok {
			return nil, newErr(CodeTokenMalformed, "token kid header is not a string", nil)
		}
		kid = s
	}
	alg := t.Method.Alg()
	kind := algKind(alg)
	if kind == kindNone || !slices.Contains(v.algs, alg) {
		return nil, newErr(CodeTokenAlgorithm, fmt.Sprintf("token algorithm %s is not allowed", clip(alg)), nil)
	}
	if kind == kindHMAC {
		// The secret and nothing else: kid is not consulted, and neither
		// are keys offered by jku, jwk, x5u or x5c headers.
		return v.secret, nil
	}
	return v.lookup(ctx, alg, kid)
}

// lookup finds the public key for alg and kid among the static keys and the
// JWKS, refreshing the JWKS (rate-limited) when nothing fits.
func (v *Verifier) lookup(ctx context.Context, alg, kid string) (crypto.PublicKey, *Error) {
	if key, e, done := v.choose(v.jwks.current(), alg, kid); done {
		return key, e
	}
	var err error
	if v.jwks != nil {
		// An unknown kid may be a key the JWKS published since.
		var set *keySet
		set, err = v.jwks.refresh(ctx)
		if key, e, done := v.choose(set, alg, kid); done {
			return key, e
		}
	}
	if kid != "" {
		if key := v.unnamed(alg); key != nil {
			return key, nil
		}
	}
	if err != nil {
		return nil, newErr(CodeJWKSUnavailable, "the signing keys could not be fetched; try again later", err)
	}
	return nil, unknownKey(kid)
}

// unnamed is the one static key without an id that fits alg, the last
// resort for a token whose kid no key has; nil when there is none, or
// more than one.
func (v *Verifier) unnamed(alg string) crypto.PublicKey {
	var only *publicKey
	for i := range v.static {
		if k := &v.static[i]; k.id == "" && k.fits(alg) {
			if only != nil {
				return nil
			}
			only = k
		}
	}
	if only == nil {
		return nil
	}
	return only.key
}

func unknownKey(kid string) *Error {
	if kid == "" {
		return newErr(CodeTokenKeyUnknown, "no key can verify this token", nil)
	}
	return newErr(CodeTokenKeyUnknown, fmt.Sprintf("no key with kid %s", clip(kid)), nil)
}

// choose picks the key for alg and kid among the static keys and set. done
// is false when no key matched, so a JWKS refresh might help.
func (v *Verifier) choose(set *keySet, alg, kid string) (key crypto.PublicKey, e *Error, done bool) {
	var published []publicKey
	if set != nil {
		published = set.keys
	}
	if kid != "" {
		var named *publicKey
		for _, keys := range [][]publicKey{v.static, published} {
			for i := range keys {
				k := &keys[i]
				if k.id != kid {
					continue
				}
				if k.fits(alg) {
					return k.key, nil, true
				}
				named = k
			}
		}
		if named != nil {
			return nil, newErr(CodeTokenAlgorithm, fmt.Sprintf("key %s is an %s and cannot verify %s", clip(kid), named.kind, alg), nil), true
		}
		return nil, nil, false
	}
	var (
		only *publicKey
		n    int
	)
	for _, keys := range [][]publicKey{v.static, published} {
		for i := range keys {
			if k := &keys[i]; k.fits(alg) {
				only = k
				n++
			}
		}
	}
	switch n {
	case 0:
		return nil, nil, false
	case 1:
		return only.key, nil, true
	}
	return nil, newErr(CodeTokenKeyUnknown, fmt.Sprintf("token has no kid and %d keys could verify %s", n, alg), nil), true
}

// classify maps a jwt error to an *Error. When several claims are wrong the
// most fundamental wins: types, then issuer and audience (the token is not
// for us), then time (the client should refresh it).
func (v *Verifier) classify(tok *jwt.Token, claims jwt.MapClaims, err error) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return newErr(CodeTokenMalformed, "token is not a well-formed JWT", err)
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		// The only unverifiable cases left are a missing or unknown alg:
		// keyfunc errors are *Error and were returned above.
		if tok == nil {
			return newErr(CodeTokenMalformed, "token is not a well-formed JWT", err)
		}
		alg, ok := tok.Header["alg"].(string)
		if !ok {
			return newErr(CodeTokenMalformed, "token header has no alg", err)
		}
		return newErr(CodeTokenAlgorithm, fmt.Sprintf("token algorithm %s is not supported", clip(alg)), err)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		if tok != nil && tok.Method != nil && !slices.Contains(v.algs, tok.Method.Alg()) {
			return newErr(CodeTokenAlgorithm, fmt.Sprintf("token algorithm %s is not allowed", clip(tok.Method.Alg())), err)
		}
		return newErr(CodeTokenSignature, "token signature is invalid", err)
	case errors.Is(err, jwt.ErrTokenInvalidClaims):
		return v.claimsError(claims, err)
	}
	return newErr(CodeTokenMalformed, "token could not be verified", err)
}

func (v *Verifier) claimsError(claims jwt.MapClaims, err error) *Error {
	switch {
	case errors.Is(err, jwt.ErrInvalidType):
		return newErr(CodeTokenClaims, "a registered claim (exp, nbf, iat, iss or aud) has the wrong type", err)
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return newErr(CodeTokenIssuer, "token was issued by an unexpected issuer", err)
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return newErr(CodeTokenAudience, "token is not meant for this audience", err)
	case errors.Is(err, jwt.ErrTokenExpired):
		return newErr(CodeTokenExpired, "token has expired", err)
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return newErr(CodeTokenNotYetValid, "token is not valid yet", err)
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		// jwt does not say which claim is missing; find out ourselves.
		if exp, _ := claims.GetExpirationTime(); v.reqExp && exp == nil {
			return newErr(CodeTokenClaims, "token has no exp claim", err)
		}
		if iss, _ := claims.GetIssuer(); v.issuer != "" && iss == "" {
			return newErr(CodeTokenIssuer, "token has no iss claim", err)
		}
		if len(v.audience) > 0 {
			if aud, ok := claims["aud"]; ok && aud != nil && !isStringOrList(aud) {
				return newErr(CodeTokenClaims, "claim aud must be a string or an array of strings", err)
			}
			return newErr(CodeTokenAudience, "token has no aud claim", err)
		}
	}
	return newErr(CodeTokenClaims, "token claims are invalid", err)
}

// identity reads the user id and room grants from verified claims.
func (v *Verifier) identity(claims jwt.MapClaims) (*Identity, *Error) {
	raw, ok := claims["sub"]
	if !ok || raw == nil || raw == "" {
		return nil, newErr(CodeTokenSubject, "token has no sub claim naming the user", nil)
	}
	sub, ok := raw.(string)
	if !ok {
		return nil, newErr(CodeTokenClaims, "claim sub must be a string", nil)
	}
	// jwt checks iss and aud only when they are configured; check their
	// types always, so a token's validity does not depend on that.
	if iss, ok := claims["iss"]; ok && iss != nil {
		if _, ok := iss.(string); !ok {
			return nil, newErr(CodeTokenClaims, "claim iss must be a string", nil)
		}
	}
	if aud, ok := claims["aud"]; ok && aud != nil && !isStringOrList(aud) {
		return nil, newErr(CodeTokenClaims, "claim aud must be a string or an array of strings", nil)
	}
	id := &Identity{UserID: sub, Claims: claims}
	var e *Error
	if id.Rooms, e = stringList(claims, v.names.Rooms); e != nil {
		return nil, e
	}
	if id.Join, e = stringList(claims, v.names.Join); e != nil {
		return nil, e
	}
	if id.Publish, e = stringList(claims, v.names.Publish); e != nil {
		return nil, e
	}
	if exp, _ := claims.GetExpirationTime(); exp != nil {
		id.Expires = exp.Time
	}
	return id, nil
}

// stringList reads a claim that is a list of names. A single string is a
// one-element list, and null or absence an empty one, because issuers differ
// (Go marshals a nil slice as null).
func stringList(claims jwt.MapClaims, name string) ([]string, *Error) {
	switch x := claims[name].(type) {
	case nil:
		return nil, nil
	case string:
		if x == "" {
			return nil, newErr(CodeTokenClaims, fmt.Sprintf("claim %s contains an empty name", name), nil)
		}
		return []string{x}, nil
	case []any:
		out := make([]string, len(x))
		for i, el := range x {
			s, ok := el.(string)
			if !ok {
				return nil, newErr(CodeTokenClaims, fmt.Sprintf("claim %s must be a string or an array of strings", name), nil)
			}
			if s == "" {
				return nil, newErr(CodeTokenClaims, fmt.Sprintf("claim %s contains an empty name", name), nil)
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, newErr(CodeTokenClaims, fmt.Sprintf("claim %s must be a string or an array of strings", name), nil)
}

func isStringOrList(v any) bool {
	switch x := v.(type) {
	case string:
		return true
	case []any:
		for _, el := range x {
			if _, ok := el.(string); !ok {
				return false
			}
		}
		return true
	}
	return false
}

// clip quotes attacker-supplied header values for messages, bounded so a
// token cannot flood logs.
func clip(s string) string {
	const max = 40
	if len(s) > max {
		s = s[:max] + "..."
	}
	return fmt.Sprintf("%q", s)
}
