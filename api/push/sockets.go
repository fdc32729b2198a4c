package push

import (
	"context"
	"fmt"

	"github.com/valyala/fasthttp"

	"github.com/heraldrt/herald/api/gateway"
	"github.com/heraldrt/herald/engine"
)

// DisconnectEvent is the event a socket receives just before the API
// disconnects it, with one argument {"reason": "<reason>"}. Socket.IO's
// own disconnect reason on the client is fixed ("io server disconnect"),
// so this is how a client learns why.
const DisconnectEvent = gateway.ReservedPrefix + "disconnect"

// handleJoin serves POST /v1/sockets/join.
func (a *API) handleJoin(ctx *fasthttp.RequestCtx, n *node, _ params) {
	a.members(ctx, n, engine.BroadcastOperator.SocketsJoin)
}

// handleLeave serves POST /v1/sockets/leave. A socket may be taken out of
// any room, its user room included, after which pushes to its user no
// longer reach it.
func (a *API) handleLeave(ctx *fasthttp.RequestCtx, n *node, _ params) {
	a.members(ctx, n, engine.BroadcastOperator.SocketsLeave)
}

func (a *API) members(ctx *fasthttp.RequestCtx, n *node, op func(engine.BroadcastOperator, ...string) error) {
	m, prob := decodeMembers(ctx.PostBody())
	if prob != nil {
		writeProblem(ctx, prob)
		return
	}
	t, prob := n.resolve(m.nsp, &m.to, &m.except, false, "namespace")
	if prob != nil {
		writeProblem(ctx, prob)
		return
	}
	if err := op(t.operator(), m.rooms...); err != nil {
		a.fail(ctx, fmt.Errorf("push: room membership: %w", err))
		return
	}
	writeJSON(ctx, []byte(`{"ok":true}`))
}

// operator is the engine's broadcast operator for the target.
func (t target) operator() engine.BroadcastOperator {
	op := t.ns.To(t.opts.Rooms...).Except(t.opts.Except...)
	if t.opts.Volatile {
		op = op.Volatile()
	}
	return op
}

// handleDisconnect serves POST /v1/sockets/disconnect: the chosen sockets
// receive DisconnectEvent with the reason, then are disconnected. Both go
// through each socket's event loop in that order, so the event arrives
// first. With "close": false (the default) only the namespace is
// disconnected and the client does not reconnect by itself; with true the
// whole connection closes, with the client's other namespaces.
func (a *API) handleDisconnect(ctx *fasthttp.RequestCtx, n *node, _ params) {
	r, prob := decodeDisconnect(ctx.PostBody())
	if prob != nil {
		writeProblem(ctx, prob)
		return
	}
	t, prob := n.resolve(r.nsp, &r.to, &r.except, false, "namespace")
	if prob != nil {
		writeProblem(ctx, prob)
		return
	}
	p, err := noticePacket(t.ns.Name(), r.reason)
	if err != nil {
		a.fail(ctx, err)
		return
	}
	count := -1
	if ca, ok := t.ns.Adapter().(engine.CountingAdapter); ok {
		cctx, cancel := context.WithTimeout(ctx, countTimeout)
		count, err = ca.BroadcastCount(cctx, p, t.opts)
		cancel()
	} else {
		err = t.ns.Adapter().Broadcast(p, t.opts)
	}
	if err != nil {
		a.fail(ctx, fmt.Errorf("push: disconnect notice: %w", err))
		return
	}
	if err := t.operator().DisconnectSockets(r.close); err != nil {
		a.fail(ctx, fmt.Errorf("push: disconnect: %w", err))
		return
	}
	if count < 0 {
		writeJSON(ctx, []byte(`{"disconnected":null}`))
		return
	}
	writeJSON(ctx, fmt.Appendf(nil, `{"disconnected":%d}`, count))
}
