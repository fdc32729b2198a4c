package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// JWKS defaults, used when the matching Config field is zero.
const (
	// DefaultJWKSTimeout bounds one fetch, so a hung identity provider
	// cannot hold connecting sockets for long.
	DefaultJWKSTimeout = 5 * time.Second
	// DefaultJWKSMinRefresh spaces refreshes caused by unknown kids, so a
	// flood of tokens with made-up kids cannot be turned against the
	// identity provider.
	DefaultJWKSMinRefresh = 30 * time.Second
	// DefaultJWKSRefreshEvery picks up key rotations and revocations even
	// when no token names a new kid.
	DefaultJWKSRefreshEvery = time.Hour
	// MaxJWKSBytes caps the JWKS response body; real key sets are a few KiB.
	MaxJWKSBytes = 1 << 20
)

// keySet is an immutable snapshot of the published keys.
type keySet struct {
	keys []publicKey
}

// fetchCall is one JWKS fetch that any number of verifications may wait on.
type fetchCall struct {
	done chan struct{}
	set  *keySet // the newest good set once done (maybe older than this fetch on error)
	err  error
}

// jwksCache holds the last good key set of a JWKS endpoint and refreshes it
// periodically and on demand. Reads are lock-free; at most one fetch runs at a
// time and concurrent misses wait for it.
type jwksCache struct {
	url        string
	client     *http.Client
	timeout    time.Duration
	minRefresh time.Duration
	every      time.Duration
	now        func() time.Time

	set atomic.Pointer[keySet] // nil until the first successful fetch

	ctx    context.Context // cancelled by close; parent of every fetch
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu          sync.Mutex
	closed      bool
	inflight    *fetchCall
	attempted   bool
	lastAttempt time.Time
	lastErr     error
}

func newJWKSCache(url string, client *http.Client, timeout, minRefresh, every time.Duration, now func() time.Time) *jwksCache {
	ctx, cancel := context.WithCancel(context.Background())
	return &jwksCache{
		url:        url,
		client:     client,
		timeout:    timeout,
		minRefresh: minRefresh,
		every:      every,
		now:        now,
		ctx:        ctx,
		cancel:     cancel,
	}
}

// start launches the background loop: an initial fetch, so the first
// connections rarely wait, then one every c.every.
func (c *jwksCache) start() {
	c.wg.Add(1)
	go c.loop()
}

func (c *jwksCache) loop() {
	defer c.wg.Done()
	if call := c.begin(true); call != nil {
		<-call.done
	}
	t := time.NewTicker(c.every)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
			if call := c.begin(true); call != nil {
				<-call.done
			}
		}
	}
}

// close stops the loop, aborts a fetch in flight and waits for both.
// Verification keeps working with the keys already fetched.
func (c *jwksCache) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	c.wg.Wait()
}

// current returns the last good key set, or nil.
func (c *jwksCache) current() *keySet {
	if c == nil {
		return nil
	}
	return c.set.Load()
}

// begin joins the fetch in flight or starts one. Unless force is set it
// starts none when the last attempt is younger than minRefresh, and then
// returns nil; it also returns nil once closed.
func (c *jwksCache) begin(force bool) *fetchCall {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	if c.inflight != nil {
		return c.inflight
	}
	now := c.now()
	if !force && c.attempted && now.Sub(c.lastAttempt) < c.minRefresh {
		return nil
	}
	call := &fetchCall{done: make(chan struct{})}
	c.inflight = call
	c.attempted = true
	c.lastAttempt = now
	c.wg.Add(1)
	go c.run(call)
	return call
}

func (c *jwksCache) run(call *fetchCall) {
	defer c.wg.Done()
	set, err := c.fetch()
	c.mu.Lock()
	if err == nil {
		c.set.Store(set)
	}
	c.lastErr = err
	c.inflight = nil
	call.set = c.set.Load()
	call.err = err
	c.mu.Unlock()
	close(call.done)
}

// refresh is called when no key fits a token. It fetches (or waits for the
// fetch in flight) unless rate-limited, and returns the newest key set with
// the error of the latest attempt, so a dead endpoint is reported as such
// rather than as an unknown key.
func (c *jwksCache) refresh(ctx context.Context) (*keySet, error) {
	call := c.begin(false)
	if call == nil {
		c.mu.Lock()
		err := c.lastErr
		c.mu.Unlock()
		return c.set.Load(), err
	}
	select {
	case <-call.done:
		return call.set, call.err
	case <-ctx.Done():
		return c.set.Load(), fmt.Errorf("waiting for JWKS: %w", ctx.Err())
	}
}

func (c *jwksCache) fetch() (*keySet, error) {
	ctx, cancel := context.WithTimeout(c.ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return nil, fmt.Errorf("build JWKS request: %w", err)
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch JWKS %s: HTTP status %d", c.url, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxJWKSBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read JWKS %s: %w", c.url, err)
	}
	if len(body) > MaxJWKSBytes {
		return nil, fmt.Errorf("JWKS %s is larger than %d bytes", c.url, MaxJWKSBytes)
	}
	set, err := parseJWKS(body)
	if err != nil {
		return nil, fmt.Errorf("JWKS %s: %w", c.url, err)
	}
	return set, nil
}

// jwk holds the members of a JSON Web Key (RFC 7517) this package reads.
type jwk struct {
	Kty    string   `json:"kty"`
	Use    string   `json:"use"`
	KeyOps []string `json:"key_ops"`
	Alg    string   `json:"alg"`
	Kid    string   `json:"kid"`
	Crv    string   `json:"crv"`
	N      string   `json:"n"`
	E      string   `json:"e"`
	X      string   `json:"x"`
	Y      string   `json:"y"`
}

// parseJWKS decodes a JWK Set. A document that is not a JSON object with a
// "keys" array is an error; individual keys that are malformed, meant for
// encryption, or of unsupported types are skipped, as RFC 7517 §5 asks. A set
// left with no usable key is an error, so the previous good set stays in use.
func parseJWKS(data []byte) (*keySet, error) {
	var doc struct {
		Keys *[]json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("decode key set: %w", err)
	}
	if doc.Keys == nil {
		return nil, errors.New(`key set has no "keys" array`)
	}
	set := &keySet{keys: make([]publicKey, 0, len(*doc.Keys))}
	for _, raw := range *doc.Keys {
		var k jwk
		if err := json.Unmarshal(raw, &k); err != nil {
			continue
		}
		if pk, ok := k.publicKey(); ok {
			set.keys = append(set.keys, pk)
		}
	}
	if len(set.keys) == 0 {
		return nil, fmt.Errorf("key set has no usable signing key among its %d entries", len(*doc.Keys))
	}
	return set, nil
}

// publicKey converts k, reporting false for keys this package must not or
// cannot use for verifying signatures.
func (k *jwk) publicKey() (publicKey, bool) {
	if k.Use != "" && k.Use != "sig" {
		return publicKey{}, false
	}
	if len(k.KeyOps) > 0 && !slices.Contains(k.KeyOps, "verify") {
		return publicKey{}, false
	}
	if k.Alg != "" && algKind(k.Alg) == kindNone {
		return publicKey{}, false
	}
	var (
		pub crypto.PublicKey
		err error
	)
	switch k.Kty {
	case "RSA":
		pub, err = k.rsa()
	case "EC":
		pub, err = k.ec()
	case "OKP":
		pub, err = k.okp()
	default:
		return publicKey{}, false
	}
	if err != nil {
		return publicKey{}, false
	}
	kind, err := classifyKey(pub)
	if err != nil {
		return publicKey{}, false
	}
	if k.Alg != "" && algKind(k.Alg) != kind {
		return publicKey{}, false
	}
	return publicKey{id: k.Kid, alg: k.Alg, kind: kind, key: pub}, true
}

func (k *jwk) rsa() (*rsa.PublicKey, error) {
	n, err := b64(k.N)
	if err != nil || len(n) == 0 {
		return nil, errors.New("bad n")
	}
	e, err := b64(k.E)
	if err != nil || len(e) == 0 || len(e) > 4 {
		return nil, errors.New("bad e")
	}
	var exp uint64
	for _, b := range e {
		exp = exp<<8 | uint64(b)
	}
	if exp < 3 || exp%2 == 0 || exp > 1<<31-1 {
		return nil, errors.New("bad e")
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(exp)}, nil
}

func (k *jwk) ec() (*ecdsa.PublicKey, error) {
	if k.Crv != "P-256" {
		return nil, errors.New("unsupported curve")
	}
	x, err := b64(k.X)
	if err != nil || len(x) > 32 {
		return nil, errors.New("bad x")
	}
	y, err := b64(k.Y)
	if err != nil || len(y) > 32 {
		return nil, errors.New("bad y")
	}
	// Uncompressed SEC 1 point; short coordinates (leading zeros dropped by
	// sloppy encoders) are left-padded. The parser checks the point is on
	// the curve, which blocks invalid-curve attacks.
	point := make([]byte, 65)
	point[0] = 4
	copy(point[33-len(x):33], x)
	copy(point[65-len(y):], y)
	return ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point)
}

func (k *jwk) okp() (ed25519.PublicKey, error) {
	if k.Crv != "Ed25519" {
		return nil, errors.New("unsupported curve")
	}
	x, err := b64(k.X)
	if err != nil || len(x) != ed25519.PublicKeySize {
		return nil, errors.New("bad x")
	}
	return ed25519.PublicKey(x), nil
}

// b64 decodes base64url, tolerating the padding some publishers add.
func b64(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}
