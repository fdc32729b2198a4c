package push

import (
	"time"

	"github.com/heraldrt/herald/protocol/socketio"
)

// Bounds on requests, documented in README.md.
const (
	// MaxAckTimeout bounds ack_timeout_ms, and the sum of a batch's, so
	// that a request cannot hold an HTTP connection longer than clients
	// and proxies commonly wait.
	MaxAckTimeout = 30 * time.Second
	// MaxBatch bounds the emits of one batch.
	MaxBatch = 1000
	// DefaultReason is the disconnect reason when the request gives none.
	DefaultReason = "disconnected by the server"
)

// selection chooses sockets of a namespace: all of them, or those in any
// of the rooms, of the users, or with the ids.
type selection struct {
	all     bool
	rooms   []string
	users   []string
	sockets []string
}

func (s *selection) empty() bool {
	return len(s.rooms) == 0 && len(s.users) == 0 && len(s.sockets) == 0
}

// emitReq is one emit, validated.
type emitReq struct {
	nsp      string
	event    string
	eventLit []byte // the event name's JSON string literal, as sent
	args     args
	to       selection
	except   selection
	volatile bool
	ack      time.Duration
}

// socketChoice is the sockets a join, leave or disconnect acts on: those
// of a namespace that targets chooses and except does not.
type socketChoice struct {
	nsp    string
	to     selection
	except selection
}

// memberReq makes sockets join or leave rooms.
type memberReq struct {
	socketChoice
	rooms []string
}

// disconnectReq disconnects sockets, telling them why.
type disconnectReq struct {
	socketChoice
	reason string
	close  bool
}

// decodeEmit reads a POST /v1/emit body.
func decodeEmit(body []byte) (*emitReq, *Problem) {
	d := newDecoder(body)
	if p := d.begin(); p != nil {
		return nil, p
	}
	e := &emitReq{}
	if p := d.emit(e); p != nil {
		return nil, p
	}
	return e, d.finish()
}

// decodeBatch reads a POST /v1/batch body: every emit is read and
// validated before any is sent.
func decodeBatch(body []byte) ([]*emitReq, *Problem) {
	d := newDecoder(body)
	if p := d.begin(); p != nil {
		return nil, p
	}
	var emits []*emitReq
	seen := false
	p := d.object(fields{"emits"}, func(int) *Problem {
		seen = true
		if d.peek() != '[' {
			return d.wrongType("an array of emits")
		}
		return d.elements(func(n int) *Problem {
			if n == MaxBatch {
				return newProblem(ProblemInvalidValue, "emits", "a batch holds at most 1000 emits")
			}
			e := &emitReq{}
			if p := d.emit(e); p != nil {
				return p
			}
			emits = append(emits, e)
			return nil
		})
	})
	if p != nil {
		return nil, p
	}
	if p := d.finish(); p != nil {
		return nil, p
	}
	switch {
	case !seen:
		return nil, newProblem(ProblemMissingField, "emits", "a batch needs emits")
	case len(emits) == 0:
		return nil, newProblem(ProblemInvalidValue, "emits", "a batch needs at least one emit")
	}
	var total time.Duration
	for _, e := range emits {
		total += e.ack
	}
	if total > MaxAckTimeout {
		return nil, newProblem(ProblemInvalidValue, "emits", "the ack timeouts of a batch add up to more than 30000 ms")
	}
	return emits, nil
}

// emit reads one emit object at the current path.
func (d *decoder) emit(e *emitReq) *Problem {
	const (
		fNamespace = iota
		fEvent
		fData
		fArgs
		fTargets
		fExcept
		fVolatile
		fAck
	)
	known := fields{"namespace", "event", "data", "args", "targets", "except", "volatile", "ack_timeout_ms"}
	var hasEvent, hasData, hasArgs, hasTargets bool
	p := d.object(known, func(i int) *Problem {
		var p *Problem
		switch i {
		case fNamespace:
			e.nsp, p = d.namespace()
		case fEvent:
			hasEvent = true
			e.event, e.eventLit, p = d.eventName()
		case fData:
			hasData = true
			d.skipWS()
			base := d.i
			if p = d.data(&e.args, base, 0); p == nil {
				e.args.raw, e.args.n = d.b[base:d.i], 1
			}
		case fArgs:
			if !d.null() {
				hasArgs = true
				p = d.argList(&e.args)
			}
		case fTargets:
			hasTargets = true
			p = d.selection(&e.to, true)
		case fExcept:
			p = d.selection(&e.except, false)
		case fVolatile:
			e.volatile, p = d.bool()
		case fAck:
			var ms int64
			ms, p = d.int(0, MaxAckTimeout.Milliseconds())
			e.ack = time.Duration(ms) * time.Millisecond
		}
		return p
	})
	if p != nil {
		return p
	}
	switch {
	case !hasEvent:
		return d.problemAt("event", ProblemMissingField, "an emit needs an event name")
	case hasData && hasArgs:
		return d.problemAt("args", ProblemInvalidValue, "give data (one argument) or args (several), not both")
	case !hasTargets:
		return d.problemAt("targets", ProblemMissingField, "choose the recipients: rooms, users, sockets, or all: true")
	case len(e.args.bins) > 0 && e.args.ph != "":
		return newProblem(ProblemInvalidValue, e.args.ph, `"_placeholder" is reserved in events that carry binary data`)
	}
	if e.nsp == "" {
		e.nsp = "/"
	}
	return d.checkTargets(&e.to)
}

// problemAt reports a problem at the member name of the current path.
func (d *decoder) problemAt(name, typ, detail string) *Problem {
	d.pushName(name)
	p := d.problem(typ, detail)
	d.pop()
	return p
}

// namespace reads a namespace name; null is the main namespace.
func (d *decoder) namespace() (string, *Problem) {
	if d.null() {
		return "/", nil
	}
	s, p := d.string()
	if p != nil {
		return "", p
	}
	if s[0] != '/' {
		return "", d.problem(ProblemInvalidValue, `a namespace starts with "/"`)
	}
	return s, nil
}

// eventName reads the event name and keeps its literal, which goes into
// the packet as is.
func (d *decoder) eventName() (string, []byte, *Problem) {
	if d.peek() != '"' {
		return "", nil, d.wrongType("a string")
	}
	lit, name, p := d.quoted()
	if p != nil {
		return "", nil, p
	}
	switch {
	case len(name) == 0:
		return "", nil, d.problem(ProblemInvalidValue, "must not be empty")
	case socketio.IsReserved(string(name)):
		return "", nil, d.problem(ProblemInvalidValue, "\""+string(name)+"\" is reserved by Socket.IO")
	}
	return string(name), lit, nil
}

// argList reads "args", an array of arguments; null or [] is none.
func (d *decoder) argList(a *args) *Problem {
	if d.null() {
		return nil
	}
	if d.peek() != '[' {
		return d.wrongType("an array")
	}
	var base int // where the first element starts, after white space
	return d.elements(func(n int) *Problem {
		if n == 0 {
			base = d.i
		}
		if p := d.data(a, base, 0); p != nil {
			return p
		}
		a.raw, a.n = d.b[base:d.i], n+1
		return nil
	})
}

// selection reads targets (withAll) or except.
func (d *decoder) selection(s *selection, withAll bool) *Problem {
	if !withAll && d.null() {
		return nil
	}
	known := fields{"rooms", "users", "sockets", "all"}
	if !withAll {
		known = known[:3]
	}
	return d.object(known, func(i int) *Problem {
		var p *Problem
		switch i {
		case 0:
			s.rooms, p = d.strings()
		case 1:
			s.users, p = d.strings()
		case 2:
			s.sockets, p = d.strings()
		case 3:
			s.all, p = d.bool()
		}
		return p
	})
}

// checkTargets insists that targets choose something, and not everything
// and something at once: an emit to every socket must say all: true.
func (d *decoder) checkTargets(s *selection) *Problem {
	switch {
	case s.all && !s.empty():
		d.pushName("targets")
		defer d.pop()
		return d.problemAt("all", ProblemInvalidValue, "all: true excludes rooms, users and sockets")
	case !s.all && s.empty():
		return d.problemAt("targets", ProblemInvalidValue, "choose the recipients: rooms, users, sockets, or all: true")
	}
	return nil
}

// choiceBody reads the body of a request that acts on sockets. known
// starts with namespace, targets and except, which go into c; fn reads
// the values of the other fields. targets must be there; the caller
// checks the selection (checkTargets) after its own fields.
func (d *decoder) choiceBody(known fields, c *socketChoice, fn func(i int) *Problem) *Problem {
	if p := d.begin(); p != nil {
		return p
	}
	c.nsp = "/"
	var hasTargets bool
	p := d.object(known, func(i int) *Problem {
		var p *Problem
		switch i {
		case 0:
			c.nsp, p = d.namespace()
		case 1:
			hasTargets = true
			p = d.selection(&c.to, true)
		case 2:
			p = d.selection(&c.except, false)
		default:
			p = fn(i)
		}
		return p
	})
	if p == nil {
		p = d.finish()
	}
	if p == nil && !hasTargets {
		p = d.problemAt("targets", ProblemMissingField, "choose the sockets: rooms, users, sockets, or all: true")
	}
	return p
}

// decodeMembers reads a POST /v1/sockets/join or /leave body.
func decodeMembers(body []byte) (*memberReq, *Problem) {
	d := newDecoder(body)
	m := &memberReq{}
	var hasRooms bool
	p := d.choiceBody(fields{"namespace", "targets", "except", "rooms"}, &m.socketChoice, func(int) *Problem {
		hasRooms = true
		var p *Problem
		m.rooms, p = d.strings()
		return p
	})
	switch {
	case p != nil:
		return nil, p
	case !hasRooms:
		return nil, d.problemAt("rooms", ProblemMissingField, "name the rooms to join or leave")
	case len(m.rooms) == 0:
		return nil, d.problemAt("rooms", ProblemInvalidValue, "name at least one room")
	}
	return m, d.checkTargets(&m.to)
}

// decodeDisconnect reads a POST /v1/sockets/disconnect body.
func decodeDisconnect(body []byte) (*disconnectReq, *Problem) {
	d := newDecoder(body)
	r := &disconnectReq{reason: DefaultReason}
	p := d.choiceBody(fields{"namespace", "targets", "except", "reason", "close"}, &r.socketChoice, func(i int) *Problem {
		var p *Problem
		switch i {
		case 3:
			if !d.null() {
				r.reason, p = d.string()
			}
		case 4:
			r.close, p = d.bool()
		}
		return p
	})
	if p != nil {
		return nil, p
	}
	return r, d.checkTargets(&r.to)
}
