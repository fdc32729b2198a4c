package auth

import (
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DefaultTTL is the lifetime Sign gives a token when Claims.TTL is zero.
const DefaultTTL = time.Hour

// SignConfig says how Sign signs. It exists for `herald token`, which mints
// tokens for development and load tests, and for tests; production tokens
// come from the application's own issuer.
type SignConfig struct {
	// Algorithm is one of HS256, HS384, HS512, RS256, ES256, EdDSA.
	Algorithm string
	// Secret is the HMAC key for HS*, with the same minimum lengths as
	// Config.Secret.
	Secret []byte
	// PrivateKeyPEM is the signing key for RS256, ES256 and EdDSA: PKCS#8
	// "PRIVATE KEY", PKCS#1 "RSA PRIVATE KEY" or SEC 1 "EC PRIVATE KEY".
	PrivateKeyPEM []byte
	// KeyID, when set, becomes the kid header, for verifiers with several keys.
	KeyID string
	// Names are the room-grant claim names; they must match the verifier's
	// Config.Claims. Empty fields take the defaults.
	Names ClaimNames
	// Now replaces time.Now for iat and exp, for tests.
	Now func() time.Time
}

// Claims is the content of a token minted by Sign.
type Claims struct {
	// Subject is the user id (sub); required.
	Subject string
	// Rooms, Join and Publish become the room-grant claims; empty ones are
	// left out.
	Rooms, Join, Publish []string
	// Issuer becomes iss when set.
	Issuer string
	// Audience becomes aud when set: a string for one value, else an array.
	Audience []string
	// TTL sets exp to iat+TTL. Zero means DefaultTTL; a negative TTL mints
	// an already expired token, which tests need.
	TTL time.Duration
	// Extra holds further claims (nbf, application data). It must not set a
	// claim that Sign sets from the fields above.
	Extra map[string]any
}

// Sign mints a token. It refuses what NewVerifier would refuse (unknown
// algorithms, short secrets, mismatched keys), so minted tokens are usable.
func Sign(cfg SignConfig, c Claims) (string, error) {
	kind := algKind(cfg.Algorithm)
	if kind == kindNone {
		return "", fmt.Errorf("auth: cannot sign with algorithm %q (supported: HS256, HS384, HS512, RS256, ES256, EdDSA)", cfg.Algorithm)
	}
	if c.Subject == "" {
		return "", errors.New("auth: cannot sign a token without a Subject")
	}
	var key any
	if kind == kindHMAC {
		if n := minSecretLen(cfg.Algorithm); len(cfg.Secret) < n {
			return "", fmt.Errorf("auth: %s needs a Secret of at least %d random bytes, got %d", cfg.Algorithm, n, len(cfg.Secret))
		}
		if len(cfg.PrivateKeyPEM) > 0 {
			return "", fmt.Errorf("auth: PrivateKeyPEM is set but %s uses Secret", cfg.Algorithm)
		}
		key = cfg.Secret
	} else {
		if len(cfg.Secret) > 0 {
			return "", fmt.Errorf("auth: Secret is set but %s uses PrivateKeyPEM", cfg.Algorithm)
		}
		signer, err := parsePrivateKeyPEM(cfg.PrivateKeyPEM)
		if err != nil {
			return "", fmt.Errorf("auth: PrivateKeyPEM: %w", err)
		}
		got, err := classifyKey(signer.Public())
		if err != nil {
			return "", fmt.Errorf("auth: PrivateKeyPEM: %w", err)
		}
		if got != kind {
			return "", fmt.Errorf("auth: PrivateKeyPEM is an %s; %s needs an %s", got, cfg.Algorithm, kind)
		}
		key = signer
	}

	now := time.Now
	if cfg.Now != nil {
		now = cfg.Now
	}
	t := now()
	ttl := c.TTL
	if ttl == 0 {
		ttl = DefaultTTL
	}
	names := cfg.Names.withDefaults()

	claims := jwt.MapClaims{}
	set := func(name string, val any) error {
		if _, ok := c.Extra[name]; ok {
			return fmt.Errorf("auth: Extra[%q] would override a claim Sign sets", name)
		}
		claims[name] = val
		return nil
	}
	if err := set("sub", c.Subject); err != nil {
		return "", err
	}
	if err := set("iat", t.Unix()); err != nil {
		return "", err
	}
	if err := set("exp", t.Add(ttl).Unix()); err != nil {
		return "", err
	}
	if c.Issuer != "" {
		if err := set("iss", c.Issuer); err != nil {
			return "", err
		}
	}
	switch len(c.Audience) {
	case 0:
	case 1:
		if err := set("aud", c.Audience[0]); err != nil {
			return "", err
		}
	default:
		if err := set("aud", c.Audience); err != nil {
			return "", err
		}
	}
	for _, g := range []struct {
		name string
		val  []string
	}{{names.Rooms, c.Rooms}, {names.Join, c.Join}, {names.Publish, c.Publish}} {
		if len(g.val) > 0 {
			if err := set(g.name, g.val); err != nil {
				return "", err
			}
		}
	}
	maps.Copy(claims, c.Extra)

	tok := jwt.NewWithClaims(jwt.GetSigningMethod(cfg.Algorithm), claims)
	if cfg.KeyID != "" {
		tok.Header["kid"] = cfg.KeyID
	}
	s, err := tok.SignedString(key)
	if err != nil {
		return "", fmt.Errorf("auth: sign %s token: %w", cfg.Algorithm, err)
	}
	return s, nil
}
