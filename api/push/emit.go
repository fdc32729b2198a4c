package push

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/heraldrt/herald/engine"
)

// countTimeout bounds the wait for every node's recipient count, which a
// cluster adapter gathers over the network.
const countTimeout = 10 * time.Second

// target is an emit resolved against the node: its namespace and the
// engine's selection.
type target struct {
	ns   *engine.Namespace
	opts engine.BroadcastOptions
}

// resolve checks that the namespace exists and turns a selection into
// broadcast options. at is the request path of the namespace field, for
// the error.
func (n *node) resolve(nsp string, to, except *selection, volatile bool, at string) (target, *Problem) {
	ns := n.namespace(nsp)
	if ns == nil {
		return target{}, newProblem(ProblemNamespaceNotFound, at, "no namespace "+strconv.Quote(nsp)+" on this node")
	}
	opts := engine.BroadcastOptions{Volatile: volatile, Except: n.rooms(except)}
	if !to.all {
		opts.Rooms = n.rooms(to)
	}
	return target{ns: ns, opts: opts}, nil
}

// rooms lists the rooms a selection stands for: rooms as named, each
// user's room, and each socket id (a socket is alone in the room named by
// its id).
func (n *node) rooms(s *selection) []string {
	k := len(s.rooms) + len(s.users) + len(s.sockets)
	if k == 0 {
		return nil
	}
	out := make([]string, 0, k)
	out = append(out, s.rooms...)
	for _, u := range s.users {
		out = append(out, n.userRoom(u))
	}
	return append(out, s.sockets...)
}

// emitResult is what one emit answers.
type emitResult struct {
	recipients int // -1 when the adapter cannot count
	ack        bool
	acks       []engine.Args
	timedOut   bool
	dropped    int // answers not kept, over the engine's MaxAckBytes
}

// send performs one resolved emit.
func (n *node) send(ctx context.Context, e *emitReq, t target) (emitResult, error) {
	if e.ack > 0 {
		return n.sendWithAck(ctx, e, t)
	}
	p := e.packet(t.ns.Name())
	ca, ok := t.ns.Adapter().(engine.CountingAdapter)
	if !ok {
		if err := t.ns.Adapter().Broadcast(p, t.opts); err != nil {
			return emitResult{}, fmt.Errorf("push: broadcast: %w", err)
		}
		return emitResult{recipients: -1}, nil
	}
	cctx, cancel := context.WithTimeout(ctx, countTimeout)
	defer cancel()
	count, err := ca.BroadcastCount(cctx, p, t.opts)
	if err != nil {
		return emitResult{}, fmt.Errorf("push: broadcast: %w", err)
	}
	return emitResult{recipients: count}, nil
}

// sendWithAck emits through the engine's EmitWithAck, which gives the
// packet an ack id and gathers the answers until all came or the timeout
// passed; a timeout is not an error but a partial result.
func (n *node) sendWithAck(ctx context.Context, e *emitReq, t target) (emitResult, error) {
	vals, err := e.args.values()
	if err != nil {
		return emitResult{}, fmt.Errorf("push: ack arguments: %w", err)
	}
	op := t.ns.To(t.opts.Rooms...).Except(t.opts.Except...).Timeout(e.ack)
	if t.opts.Volatile {
		op = op.Volatile()
	}
	acks, err := op.EmitWithAck(ctx, e.event, vals...)
	var (
		te *engine.AckTimeoutError
		le *engine.AckLimitError
	)
	switch {
	case errors.As(err, &te):
		return emitResult{recipients: te.Expected, ack: true, acks: te.Responses, timedOut: true, dropped: te.Dropped}, nil
	case errors.As(err, &le):
		return emitResult{recipients: le.Expected, ack: true, acks: le.Responses, dropped: le.Dropped}, nil
	case err != nil:
		return emitResult{}, fmt.Errorf("push: emit with ack: %w", err)
	}
	return emitResult{recipients: len(acks), ack: true, acks: acks}, nil
}

// keepAcks keeps the answers that fit in budget bytes of arguments,
// counts the others as dropped, and returns what is left of budget.
func (r *emitResult) keepAcks(budget int) int {
	kept := r.acks[:0]
	for _, a := range r.acks {
		if size := a.Size(); size <= budget {
			kept = append(kept, a)
			budget -= size
		} else {
			r.dropped++
		}
	}
	r.acks = kept
	return budget
}

// appendJSON appends the result as the emit's answer:
//
//	{"recipients":3}
//	{"recipients":3,"acks":[[...],[...]],"timed_out":false}
//
// recipients is null when the adapter cannot count.
func (r *emitResult) appendJSON(dst []byte) ([]byte, error) {
	dst = append(dst, `{"recipients":`...)
	if r.recipients < 0 {
		dst = append(dst, "null"...)
	} else {
		dst = strconv.AppendInt(dst, int64(r.recipients), 10)
	}
	if r.ack {
		dst = append(dst, `,"acks":[`...)
		for i, a := range r.acks {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendAck(dst, a); err != nil {
				return nil, err
			}
		}
		dst = append(dst, `],"timed_out":`...)
		dst = strconv.AppendBool(dst, r.timedOut)
		if r.dropped > 0 {
			dst = append(dst, `,"acks_dropped":`...)
			dst = strconv.AppendInt(dst, int64(r.dropped), 10)
		}
	}
	return append(dst, '}'), nil
}

// appendAck appends one client's answer as a JSON array of the arguments
// it passed to its callback, binary ones as {"$binary": "<base64>"}.
func appendAck(dst []byte, a engine.Args) ([]byte, error) {
	if len(a.Attachments()) == 0 {
		raw, err := a.MarshalJSON()
		return append(dst, raw...), err
	}
	vals, err := a.Values()
	if err != nil {
		return nil, fmt.Errorf("push: ack answer: %w", err)
	}
	for i, v := range vals {
		vals[i] = binaryToJSON(v)
	}
	raw, err := json.Marshal(vals)
	if err != nil {
		return nil, fmt.Errorf("push: ack answer: %w", err)
	}
	return append(dst, raw...), nil
}

// binaryToJSON replaces the []byte values of a decoded answer by
// {"$binary": base64}, the API's encoding of binary data both ways.
func binaryToJSON(v any) any {
	switch x := v.(type) {
	case []byte:
		return map[string]string{BinaryKey: base64.StdEncoding.EncodeToString(x)}
	case []any:
		for i := range x {
			x[i] = binaryToJSON(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = binaryToJSON(x[k])
		}
	}
	return v
}

// handleEmit serves POST /v1/emit.
func (a *API) handleEmit(ctx *fasthttp.RequestCtx, n *node, _ params) {
	e, prob := decodeEmit(ctx.PostBody())
	if prob != nil {
		writeProblem(ctx, prob)
		return
	}
	t, prob := n.resolve(e.nsp, &e.to, &e.except, e.volatile, "namespace")
	if prob != nil {
		writeProblem(ctx, prob)
		return
	}
	res, err := n.send(ctx, e, t)
	if err != nil {
		a.fail(ctx, err)
		return
	}
	var buf [64]byte
	out, err := res.appendJSON(buf[:0])
	if err != nil {
		a.fail(ctx, err)
		return
	}
	writeJSON(ctx, out)
}

// handleBatch serves POST /v1/batch: every emit is validated and resolved
// before the first is sent, then they are sent one after another, in
// order, so that each client receives them in that order. An emit with an
// ack timeout waits for its answers before the next starts.
func (a *API) handleBatch(ctx *fasthttp.RequestCtx, n *node, _ params) {
	emits, prob := decodeBatch(ctx.PostBody())
	if prob != nil {
		writeProblem(ctx, prob)
		return
	}
	targets := make([]target, len(emits))
	for i, e := range emits {
		t, prob := n.resolve(e.nsp, &e.to, &e.except, e.volatile, "emits["+strconv.Itoa(i)+"].namespace")
		if prob != nil {
			writeProblem(ctx, prob)
			return
		}
		targets[i] = t
	}
	out := make([]byte, 0, 16+len(emits)*20)
	out = append(out, `{"results":[`...)
	// One ack budget for the whole batch, as for a single emit.
	budget := n.srv.Config().MaxAckBytes
	for i, e := range emits {
		res, err := n.send(ctx, e, targets[i])
		sent := i
		if err == nil {
			budget = res.keepAcks(budget)
			if i > 0 {
				out = append(out, ',')
			}
			out, err = res.appendJSON(out)
			sent = i + 1
		}
		if err != nil {
			prob := a.failure(ctx, fmt.Errorf("emits[%d]: %w", i, err))
			if sent > 0 {
				// Part of the batch went out: a retry of the whole would
				// send that part twice, so say how much.
				prob.Sent = &sent
			}
			writeProblem(ctx, prob)
			return
		}
	}
	writeJSON(ctx, append(out, "]}"...))
}

// fail answers an error of the node: 503 when waiting for the cluster or
// the event loops ran out of time (as when the node stops), else 500; both
// logged with their cause.
func (a *API) fail(ctx *fasthttp.RequestCtx, err error) {
	writeProblem(ctx, a.failure(ctx, err))
}

// failure logs err and gives the problem that answers it. It invites no
// retry (no Retry-After): the request may have taken effect, as an emit
// sent before its count timed out, and its signature is spent.
func (a *API) failure(ctx *fasthttp.RequestCtx, err error) *Problem {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		a.log.Warn("push API request timed out", "method", string(ctx.Method()), "path", string(ctx.Path()), "err", err)
		return newProblem(ProblemUnavailable, "", "the node did not complete the request in time; it may have taken effect")
	}
	a.log.Error("push API request failed", "method", string(ctx.Method()), "path", string(ctx.Path()), "err", err)
	return newProblem(ProblemInternal, "", "the request failed on the node; see its log")
}

// writeJSON answers 200 with a JSON body.
func writeJSON(ctx *fasthttp.RequestCtx, body []byte) {
	ctx.SetStatusCode(fasthttp.StatusOK)
	ctx.SetContentType("application/json")
	ctx.SetBody(body)
}

// writeValue answers 200 with v encoded as JSON.
func (a *API) writeValue(ctx *fasthttp.RequestCtx, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		a.fail(ctx, fmt.Errorf("push: encode answer: %w", err))
		return
	}
	writeJSON(ctx, b)
}
