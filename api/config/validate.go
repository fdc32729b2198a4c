package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
)

// ErrInvalid wraps every validation error.
var ErrInvalid = errors.New("invalid config")

// Validate checks every setting and reports all problems at once, each
// naming its key.
func (c *Config) Validate() error {
	var v validator
	v.addr("listen", c.Listen)
	v.addr("api_listen", c.APIListen)
	if c.Listen == c.APIListen && !strings.HasSuffix(c.Listen, ":0") {
		v.fail("api_listen", "must differ from listen")
	}
	if !strings.HasPrefix(c.Path, "/") {
		v.fail("path", "must start with /")
	}
	if len(c.Namespaces) == 0 {
		v.fail("namespaces", "must list at least one namespace, such as /")
	}
	for _, n := range c.Namespaces {
		if !strings.HasPrefix(n, "/") {
			v.fail("namespaces", fmt.Sprintf("%q must start with /", n))
		}
	}

	e := c.Engine
	v.positive("engine.ping_interval", int64(e.PingInterval))
	v.positive("engine.ping_timeout", int64(e.PingTimeout))
	v.positive("engine.upgrade_timeout", int64(e.UpgradeTimeout))
	v.positive("engine.connect_timeout", int64(e.ConnectTimeout))
	v.positive("engine.max_payload", int64(e.MaxPayload))
	v.positive("engine.max_outbound_bytes", int64(e.MaxOutboundBytes))
	v.positive("engine.max_ack_bytes", int64(e.MaxAckBytes))
	v.nonNegative("engine.loops", int64(e.Loops))
	v.nonNegative("engine.workers", int64(e.Workers))
	if len(e.Transports) == 0 {
		v.fail("engine.transports", "must list at least one of polling, websocket")
	}
	for _, t := range e.Transports {
		v.oneOf("engine.transports", t, "polling", "websocket")
	}

	a := c.Auth
	v.oneOf("auth.mode", a.Mode, AuthJWT, AuthHook, AuthAnonymous)
	switch a.Mode {
	case AuthJWT:
		v.jwt(a.JWT)
	case AuthHook:
		v.url("auth.hook.url", a.Hook.URL, true)
		v.positive("auth.hook.timeout", int64(a.Hook.Timeout))
	}

	for _, p := range append(slices.Clone(c.Rooms.Join), c.Rooms.Publish...) {
		if p == "" {
			v.fail("rooms", "empty room pattern")
		}
	}
	for name, ev := range map[string]string{"events.join": c.Events.Join, "events.leave": c.Events.Leave, "events.publish": c.Events.Publish} {
		if ev == "" {
			v.fail(name, "must name an event")
		}
	}

	b := c.Backend
	v.url("backend.url", b.URL, len(b.Forward) > 0)
	if b.URL != "" && len(b.Forward) == 0 {
		v.fail("backend.forward", "lists no event: nothing would reach backend.url")
	}
	v.positive("backend.timeout", int64(b.Timeout))
	v.positive("backend.max_in_flight", int64(b.MaxInFlight))
	v.positive("backend.breaker.failures", int64(b.Breaker.Failures))
	v.positive("backend.breaker.cooldown", int64(b.Breaker.Cooldown))

	w := c.Webhooks
	v.url("webhooks.url", w.URL, false)
	for _, ev := range w.Events {
		v.oneOf("webhooks.events", ev, "connect", "disconnect")
	}
	v.positive("webhooks.timeout", int64(w.Timeout))
	v.positive("webhooks.max_attempts", int64(w.MaxAttempts))
	v.positive("webhooks.queue_size", int64(w.QueueSize))

	l := c.Limits
	v.nonNegativeFloat("limits.event_rate", l.EventRate)
	v.nonNegative("limits.event_burst", int64(l.EventBurst))
	if l.EventRate > 0 && l.EventBurst < 1 {
		v.fail("limits.event_burst", "must be at least 1 when limits.event_rate is set")
	}
	v.nonNegative("limits.max_violations", int64(l.MaxViolations))
	v.nonNegativeFloat("limits.conn_rate_per_ip", l.ConnRatePerIP)
	v.nonNegative("limits.conn_burst_per_ip", int64(l.ConnBurstPerIP))
	if l.ConnRatePerIP > 0 && l.ConnBurstPerIP < 1 {
		v.fail("limits.conn_burst_per_ip", "must be at least 1 when limits.conn_rate_per_ip is set")
	}
	v.nonNegative("limits.max_connections", int64(l.MaxConnections))
	v.nonNegative("limits.max_rooms", int64(l.MaxRooms))
	v.nonNegative("limits.max_room_name", int64(l.MaxRoomName))

	names := map[string]bool{}
	for i, k := range c.API.Keys {
		key := fmt.Sprintf("api.keys[%d]", i)
		if k.Name == "" {
			v.fail(key+".name", "is required")
		} else if names[k.Name] {
			v.fail(key+".name", fmt.Sprintf("%q is used twice", k.Name))
		}
		names[k.Name] = true
		if len(k.Key) < 16 {
			v.fail(key+".key", "must be at least 16 characters")
		}
		if len(k.Scopes) == 0 {
			v.fail(key+".scopes", "must list at least one of emit, read, admin")
		}
		for _, s := range k.Scopes {
			v.oneOf(key+".scopes", s, "emit", "read", "admin")
		}
	}
	if c.API.Signing.Secret != "" {
		if len(c.API.Signing.Secret) < 32 {
			v.fail("api.signing.secret", "must be at least 32 characters")
		}
		v.positive("api.signing.window", int64(c.API.Signing.Window))
	}
	v.nonNegativeFloat("api.rate", c.API.Rate)
	if c.API.Rate > 0 && c.API.Burst < 1 {
		v.fail("api.burst", "must be at least 1 when api.rate is set")
	}
	v.positive("api.max_body", int64(c.API.MaxBody))

	v.oneOf("log.level", c.Log.Level, "debug", "info", "warn", "error")
	v.oneOf("log.format", c.Log.Format, "text", "json")
	v.positive("shutdown_timeout", int64(c.ShutdownTimeout))
	return v.err()
}

type validator struct{ problems []string }

func (v *validator) fail(key, msg string) {
	v.problems = append(v.problems, key+": "+msg)
}

func (v *validator) err() error {
	if len(v.problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w:\n  %s", ErrInvalid, strings.Join(v.problems, "\n  "))
}

func (v *validator) addr(key, a string) {
	host, port, err := net.SplitHostPort(a)
	if err != nil || port == "" {
		v.fail(key, fmt.Sprintf("want host:port, got %q", a))
		return
	}
	_ = host
}

func (v *validator) url(key, raw string, required bool) {
	if raw == "" {
		if required {
			v.fail(key, "is required")
		}
		return
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.fail(key, fmt.Sprintf("want an http or https URL, got %q", raw))
	}
}

func (v *validator) positive(key string, n int64) {
	if n <= 0 {
		v.fail(key, "must be positive")
	}
}

func (v *validator) nonNegative(key string, n int64) {
	if n < 0 {
		v.fail(key, "must not be negative")
	}
}

func (v *validator) nonNegativeFloat(key string, f float64) {
	if f < 0 || f != f {
		v.fail(key, "must not be negative")
	}
}

func (v *validator) oneOf(key, value string, allowed ...string) {
	if !slices.Contains(allowed, value) {
		v.fail(key, fmt.Sprintf("%q is not one of %s", value, strings.Join(allowed, ", ")))
	}
}

// hmacMin is the shortest secret for each HMAC algorithm: its hash size.
var hmacMin = map[string]int{"HS256": 32, "HS384": 48, "HS512": 64}

func (v *validator) jwt(j JWT) {
	if len(j.Algorithms) == 0 {
		v.fail("auth.jwt.algorithms", "must list at least one algorithm")
	}
	needKey := false
	for _, alg := range j.Algorithms {
		if n, ok := hmacMin[alg]; ok {
			// An empty secret means the node's development secret.
			if j.Secret != "" && len(j.Secret) < n {
				v.fail("auth.jwt.secret", fmt.Sprintf("must be at least %d bytes for %s", n, alg))
			}
			continue
		}
		switch alg {
		case "RS256", "ES256", "EdDSA":
			needKey = true
		default:
			v.fail("auth.jwt.algorithms", fmt.Sprintf("%q is not one of HS256, HS384, HS512, RS256, ES256, EdDSA", alg))
		}
	}
	if needKey && len(j.PublicKeys) == 0 && j.JWKSURL == "" {
		v.fail("auth.jwt.public_keys", "or auth.jwt.jwks_url is required for RS256, ES256 and EdDSA")
	}
	for i, k := range j.PublicKeys {
		if k.File == "" {
			v.fail(fmt.Sprintf("auth.jwt.public_keys[%d].file", i), "is required")
		}
	}
	v.url("auth.jwt.jwks_url", j.JWKSURL, false)
	v.nonNegative("auth.jwt.leeway", int64(j.Leeway))
}
