package eio

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Transport names as they appear in the "transport" query parameter.
const (
	Polling   = "polling"
	WebSocket = "websocket"
)

// Config configures one Engine.IO server. Zero fields take the reference
// server's defaults.
type Config struct {
	// PingInterval is how often the server pings (default 25 s);
	// PingTimeout how long it waits for the pong (default 20 s).
	PingInterval time.Duration
	PingTimeout  time.Duration
	// UpgradeTimeout bounds an upgrade from polling to WebSocket (10 s).
	UpgradeTimeout time.Duration
	// MaxPayload bounds a polling request body and a WebSocket message in
	// bytes (default 1e6), and is announced to clients in the handshake.
	MaxPayload int
	// Transports lists the transports clients may use (default both).
	Transports []string
	// DisableUpgrades keeps polling sessions on polling.
	DisableUpgrades bool
	// Cookie, when set, sends the session id in a cookie at handshake, for
	// sticky load balancing.
	Cookie *Cookie
	// CORS, when set, answers cross-origin requests; nil sends no CORS
	// headers, as the reference server does by default.
	CORS *CORS
	// AllowRequest, when set, vets every handshake; an error refuses it with
	// 403 and the error's text as message.
	AllowRequest func(*Request) error
	// Handler receives the sessions' events.
	Handler Handler
}

// ErrConfig wraps every configuration error.
var ErrConfig = errors.New("eio: invalid config")

func (c *Config) setDefaults() error {
	if c.PingInterval == 0 {
		c.PingInterval = 25 * time.Second
	}
	if c.PingTimeout == 0 {
		c.PingTimeout = 20 * time.Second
	}
	if c.UpgradeTimeout == 0 {
		c.UpgradeTimeout = 10 * time.Second
	}
	if c.MaxPayload == 0 {
		c.MaxPayload = 1e6
	}
	if c.Transports == nil {
		c.Transports = []string{Polling, WebSocket}
	}
	switch {
	case c.PingInterval < 0 || c.PingTimeout < 0 || c.UpgradeTimeout < 0:
		return fmt.Errorf("%w: negative duration", ErrConfig)
	case c.MaxPayload < 0:
		return fmt.Errorf("%w: negative MaxPayload", ErrConfig)
	case c.Handler == nil:
		return fmt.Errorf("%w: no Handler", ErrConfig)
	case len(c.Transports) == 0:
		return fmt.Errorf("%w: no transport", ErrConfig)
	}
	for _, t := range c.Transports {
		if t != Polling && t != WebSocket {
			return fmt.Errorf("%w: unknown transport %q", ErrConfig, t)
		}
	}
	return nil
}

func (c *Config) allows(transport []byte) bool {
	return slices.Contains(c.Transports, string(transport))
}

// Handler receives a server's session events. Every method runs on the
// session's home loop and must not block: hand slow work to another
// goroutine.
type Handler interface {
	// OnOpen is called once the handshake has been sent.
	OnOpen(s *Session)
	// OnMessage is called for each message packet. data is valid only
	// during the call.
	OnMessage(s *Session, data []byte, binary bool)
	// OnClose is called once, with one of the Reason constants and the
	// error behind it, if any.
	OnClose(s *Session, reason string, err error)
}

// Close reasons, worded as the reference server words them.
const (
	ReasonTransportClose = "transport close"
	ReasonTransportError = "transport error"
	ReasonPingTimeout    = "ping timeout"
	ReasonParseError     = "parse error"
	ReasonForcedClose    = "forced close"
	ReasonServerShutdown = "server shutting down"
)
