package gateway

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/heraldrt/herald/api/auth"
	"github.com/heraldrt/herald/api/backend"
	"github.com/heraldrt/herald/engine"
)

// Error acks: clients receive one argument {"error":{"code":..,"message":..}}
// for a refused call, and {"ok":true} for a built-in operation that worked.
var okAck = map[string]bool{"ok": true}

// ReservedPrefix starts the names of events only the server sends, such as
// the push API's disconnect notice; clients may not publish them.
const ReservedPrefix = "herald:"

func errAck(e *engine.Event, code, message string) {
	if e.WantsAck() {
		_ = e.Ack(map[string]any{"error": map[string]string{"code": code, "message": message}})
	}
}

// admit applies the socket's event rate limit. A refused event gets an
// error ack; a socket refused too often in a minute is disconnected.
func (g *Gateway) admit(e *engine.Event) *principal {
	p := principalOf(e.Socket())
	if p == nil {
		errAck(e, "unauthorized", "the socket has no identity")
		return nil
	}
	if p.events == nil {
		return p
	}
	now := time.Now()
	if p.events.Allow(now) {
		return p
	}
	g.metrics.rateLimited.WithLabelValues("event").Inc()
	errAck(e, "rate_limited", "too many events: slow down")
	if max := g.cfg.Limits.MaxViolations; max > 0 && p.violation(now) >= max {
		g.log.Warn("disconnecting a socket that keeps exceeding its event rate",
			"socket", e.Socket().ID(), "user", p.userID)
		e.Socket().Disconnect(true)
	}
	return nil
}

// onJoin handles the built-in join: (room) -> {"ok":true} when the socket
// may join it.
func (g *Gateway) onJoin(e *engine.Event) {
	g.onRoom(e, g.cfg.Events.Join, (*engine.Socket).Join, func(s *engine.Socket, p *principal, room string) string {
		if !p.canJoin(room) {
			return "not allowed to join " + room
		}
		if max := g.cfg.Limits.MaxRooms; max > 0 && !s.InRoom(room) && s.RoomCount() >= max {
			return "a socket may be in at most " + strconv.Itoa(max) + " rooms"
		}
		return ""
	})
}

// onLeave handles the built-in leave: (room). A socket may leave any room
// but its user room, which pushes to the user rely on.
func (g *Gateway) onLeave(e *engine.Event) {
	g.onRoom(e, g.cfg.Events.Leave, (*engine.Socket).Leave, func(_ *engine.Socket, p *principal, room string) string {
		if room == g.userRoom(p.userID) {
			return "a socket stays in its user room"
		}
		return ""
	})
}

// onRoom handles a built-in room event named name, (room) -> {"ok":true}:
// unless refuse gives a reason to forbid it, apply puts the socket in the
// room or takes it out.
func (g *Gateway) onRoom(e *engine.Event, name string, apply func(*engine.Socket, ...string), refuse func(s *engine.Socket, p *principal, room string) string) {
	p := g.admit(e)
	if p == nil {
		return
	}
	room, ok := e.Args.String(0)
	if !ok || room == "" {
		errAck(e, "bad_request", name+" takes a room name")
		return
	}
	if why := g.badRoom(room); why != "" {
		errAck(e, "bad_request", why)
		return
	}
	if why := refuse(e.Socket(), p, room); why != "" {
		errAck(e, "forbidden", why)
		return
	}
	apply(e.Socket(), room)
	_ = e.Ack(okAck)
}

// badRoom says what is wrong with a room name a client sent, or "".
// Names are bounded because a joined room lives as long as the socket.
func (g *Gateway) badRoom(room string) string {
	if max := g.cfg.Limits.MaxRoomName; max > 0 && len(room) > max {
		return "room names are at most " + strconv.Itoa(max) + " bytes"
	}
	return ""
}

// onPublish handles the built-in publish: (room, event, args...) emits
// event with args to the room's other sockets.
func (g *Gateway) onPublish(e *engine.Event) {
	p := g.admit(e)
	if p == nil {
		return
	}
	room, ok := e.Args.String(0)
	event, ok2 := e.Args.String(1)
	why := g.badRoom(room)
	switch {
	case !ok || room == "" || !ok2 || event == "":
		errAck(e, "bad_request", g.cfg.Events.Publish+" takes a room, an event name and data")
		return
	case why != "":
		errAck(e, "bad_request", why)
		return
	case strings.HasPrefix(event, ReservedPrefix):
		errAck(e, "bad_request", "event names starting with "+ReservedPrefix+" are reserved for the server")
		return
	case !p.canPublish(room):
		errAck(e, "forbidden", "not allowed to publish to "+room)
		return
	}
	args, err := e.Args.Values()
	if err != nil {
		errAck(e, "bad_request", "invalid data")
		return
	}
	if err := e.Socket().To(room).Emit(event, args[2:]...); err != nil {
		errAck(e, "bad_request", err.Error())
		return
	}
	g.metrics.published.Inc()
	_ = e.Ack(okAck)
}

// forwards reports whether events named name go to the backend.
func (g *Gateway) forwards(name string) bool {
	return g.fwd != nil && auth.Allowed(g.cfg.Backend.Forward, name)
}

// onOther handles every event without a handler of its own: forwarded
// when configured, otherwise refused.
func (g *Gateway) onOther(e *engine.Event) {
	if !g.forwards(e.Name) {
		if g.admit(e) != nil {
			errAck(e, "unknown_event", "no handler for "+e.Name)
		}
		return
	}
	g.forward(e)
}

// forward sends the event to the backend; its answer becomes the ack.
func (g *Gateway) forward(e *engine.Event) {
	p := g.admit(e)
	if p == nil {
		return
	}
	args, _ := e.Args.MarshalJSON()
	ctx, cancel := context.WithTimeout(context.Background(), g.cfg.Backend.Timeout.D()+time.Second)
	defer cancel()
	reply, err := g.fwd.Forward(ctx, backend.Event{
		SocketID:    e.Socket().ID(),
		UserID:      p.userID,
		Namespace:   e.Socket().Namespace().Name(),
		Name:        e.Name,
		Args:        args,
		Attachments: e.Args.Attachments(),
		WantsAck:    e.WantsAck(),
	})
	if err != nil {
		g.metrics.forwarded.WithLabelValues("error").Inc()
		g.log.Debug("forwarding failed", "event", e.Name, "err", err)
		if e.WantsAck() {
			_ = e.Ack(backendErrorPayload(err))
		}
		return
	}
	g.metrics.forwarded.WithLabelValues("ok").Inc()
	if !e.WantsAck() {
		return
	}
	if len(reply.Body) == 0 {
		_ = e.Ack()
		return
	}
	_ = e.Ack(reply.Body)
}

func backendErrorPayload(err error) any {
	if be, ok := err.(interface{ AckPayload() map[string]any }); ok {
		return be.AckPayload()
	}
	return map[string]any{"error": map[string]string{"code": "backend_error", "message": err.Error()}}
}

// exactNames returns the forwarded events that are plain names, which get
// handlers of their own; patterns go through onOther.
func exactNames(patterns []string) []string {
	var out []string
	for _, p := range patterns {
		if !strings.Contains(p, "*") {
			out = append(out, p)
		}
	}
	return out
}
