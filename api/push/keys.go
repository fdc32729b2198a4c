package push

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"time"

	"github.com/heraldrt/herald/api/config"
	"github.com/heraldrt/herald/api/ratelimit"
)

// Scope is a right an API key holds. Each route needs one scope; admin
// does not imply the others, so that a key grants exactly what its
// configuration lists.
type Scope string

// The scopes, as api.keys[].scopes names them.
const (
	// ScopeEmit sends events: POST /v1/emit and /v1/batch.
	ScopeEmit Scope = "emit"
	// ScopeRead queries sockets, rooms, users and stats.
	ScopeRead Scope = "read"
	// ScopeAdmin changes room membership and disconnects sockets.
	ScopeAdmin Scope = "admin"
)

// apiKey is one configured key. Only a digest of the key is kept: every
// presented key is hashed to the same length and compared with each
// digest in constant time, so that neither the key's length nor how much
// of it matched shows in the timing.
type apiKey struct {
	name   string
	digest [sha256.Size]byte
	scopes []Scope
	bucket *ratelimit.Bucket // nil when api.rate is 0
}

func (k *apiKey) has(s Scope) bool {
	for _, x := range k.scopes {
		if x == s {
			return true
		}
	}
	return false
}

// newKeys prepares the configured keys with their rate limits.
func newKeys(cfg config.API, now time.Time) ([]apiKey, error) {
	keys := make([]apiKey, 0, len(cfg.Keys))
	for i, k := range cfg.Keys {
		if k.Key.Reveal() == "" {
			return nil, fmt.Errorf("push: api.keys[%d]: empty key", i)
		}
		ak := apiKey{name: k.Name, digest: sha256.Sum256([]byte(k.Key.Reveal()))}
		for _, s := range k.Scopes {
			switch Scope(s) {
			case ScopeEmit, ScopeRead, ScopeAdmin:
				ak.scopes = append(ak.scopes, Scope(s))
			default:
				return nil, fmt.Errorf("push: api.keys[%d]: unknown scope %q", i, s)
			}
		}
		if cfg.Rate > 0 {
			ak.bucket = ratelimit.New(cfg.Rate, cfg.Burst, now)
		}
		keys = append(keys, ak)
	}
	return keys, nil
}

// findKey returns the key whose digest matches token, or nil. It looks at
// every key whatever it finds, so the timing does not say which matched.
func findKey(keys []apiKey, token []byte) *apiKey {
	d := sha256.Sum256(token)
	var found *apiKey
	for i := range keys {
		if subtle.ConstantTimeCompare(d[:], keys[i].digest[:]) == 1 {
			found = &keys[i]
		}
	}
	return found
}

// bearer extracts the token of an "Authorization: Bearer <token>" header.
func bearer(h []byte) ([]byte, bool) {
	const scheme = "bearer "
	if len(h) <= len(scheme) || !bytes.EqualFold(h[:len(scheme)], []byte(scheme)) {
		return nil, false
	}
	tok := bytes.TrimSpace(h[len(scheme):])
	return tok, len(tok) > 0
}
