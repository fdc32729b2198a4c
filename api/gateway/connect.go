package gateway

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"time"

	"github.com/heraldrt/herald/api/auth"
	"github.com/heraldrt/herald/api/backend"
	"github.com/heraldrt/herald/api/config"
	"github.com/heraldrt/herald/api/ratelimit"
	"github.com/heraldrt/herald/engine"
)

// Connect errors the client sees in connect_error: the message is always
// one of these, and data.code says more (see README "Connect errors").
const (
	msgUnauthorized = "unauthorized"
	msgUnavailable  = "service unavailable"
)

// codeAuthBusy refuses a connection while every identification slot is
// taken: the client retries with its reconnection back-off.
const codeAuthBusy = "auth_busy"

// connectTimeout bounds how long identifying a client may take.
const connectTimeout = 10 * time.Second

// authenticate is the namespace middleware: it establishes who the client
// is, what it may do, and joins the rooms it starts in.
func (g *Gateway) authenticate(s *engine.Socket) error {
	select {
	case g.authSlots <- struct{}{}:
		defer func() { <-g.authSlots }()
	default:
		g.metrics.authFailures.WithLabelValues(codeAuthBusy).Inc()
		g.log.Warn("connection refused: too many connections being identified at once",
			"namespace", s.Namespace().Name(), "address", s.Handshake().Address, "slots", cap(g.authSlots))
		return engine.NewConnectError(msgUnavailable, map[string]string{"code": codeAuthBusy})
	}
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	var (
		p   *principal
		err error
	)
	switch g.cfg.Auth.Mode {
	case config.AuthJWT:
		p, err = g.fromToken(ctx, s)
	case config.AuthHook:
		p, err = g.fromHook(ctx, s)
	case config.AuthAnonymous:
		p = &principal{userID: anonymousID()}
	default:
		err = errors.New("gateway: no auth mode")
	}
	if err != nil {
		g.metrics.authFailures.WithLabelValues(failureCode(err)).Inc()
		g.log.Info("connection refused", "namespace", s.Namespace().Name(), "address", s.Handshake().Address, "err", err)
		return err
	}
	p.join = append(p.join, g.cfg.Rooms.Join...)
	p.publish = append(p.publish, g.cfg.Rooms.Publish...)
	if g.cfg.Limits.EventRate > 0 {
		p.events = ratelimit.New(g.cfg.Limits.EventRate, g.cfg.Limits.EventBurst, time.Now())
	}
	s.SetContext(p)
	s.Set("user_id", p.userID)
	s.Join(append([]string{g.userRoom(p.userID)}, p.rooms...)...)
	return nil
}

func (g *Gateway) userRoom(id string) string { return g.cfg.Rooms.UserPrefix + id }

func (g *Gateway) fromToken(ctx context.Context, s *engine.Socket) (*principal, error) {
	hs := s.Handshake()
	token, err := auth.TokenFromRequest(hs.Auth, hs.Query, hs.Headers)
	if err != nil {
		return nil, refusal(err)
	}
	id, err := g.verifier.Verify(ctx, token)
	if err != nil {
		return nil, refusal(err)
	}
	return &principal{userID: id.UserID, rooms: id.Rooms, join: id.Join, publish: id.Publish}, nil
}

// refusal turns a verification error into the connect_error the client
// sees: {"message":"unauthorized","data":{"code":...,"reason":...}}.
func refusal(err error) error {
	var ae *auth.Error
	if errors.As(err, &ae) {
		if ae.Code == auth.CodeJWKSUnavailable {
			return engine.NewConnectError(msgUnavailable, map[string]string{"code": ae.Code, "reason": ae.Message})
		}
		return engine.NewConnectError(msgUnauthorized, map[string]string{"code": ae.Code, "reason": ae.Message})
	}
	return engine.NewConnectError(msgUnauthorized, map[string]string{"code": "token_invalid", "reason": err.Error()})
}

func failureCode(err error) string {
	var ce *engine.ConnectError
	if errors.As(err, &ce) {
		if m, ok := ce.Data.(map[string]string); ok {
			return m["code"]
		}
		return "refused"
	}
	return "error"
}

func (g *Gateway) fromHook(ctx context.Context, s *engine.Socket) (*principal, error) {
	hs := s.Handshake()
	grant, err := g.connectHook.Authorize(ctx, backend.ConnectRequest{
		Namespace: s.Namespace().Name(),
		Auth:      hs.Auth,
		Query:     hs.Query,
		Headers:   hs.Headers,
		Address:   hs.Address,
	})
	var r *backend.Refusal
	switch {
	case errors.As(err, &r):
		var data any
		if len(r.Data) > 0 {
			data = json.RawMessage(r.Data)
		}
		return nil, engine.NewConnectError(r.Message, data)
	case err != nil:
		code := "hook_failed"
		var be *backend.Error
		if errors.As(err, &be) {
			code = be.Code
		}
		return nil, engine.NewConnectError(msgUnavailable, map[string]string{"code": code})
	}
	for k, v := range grant.Data {
		s.Set(k, v)
	}
	return &principal{userID: grant.UserID, rooms: grant.Rooms, join: grant.Join, publish: grant.Publish}, nil
}

func anonymousID() string {
	var b [9]byte
	_, _ = rand.Read(b[:])
	return "anon-" + base64.RawURLEncoding.EncodeToString(b[:])
}

// remoteIP is the client address used for per-address limits.
func remoteIP(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.IP.String()
	}
	if a == nil {
		return ""
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}
