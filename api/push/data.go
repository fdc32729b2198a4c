package push

import (
	"encoding/base64"
	"strconv"

	"github.com/heraldrt/herald/protocol/socketio"
)

// Binary data travels inside event data as {"$binary": "<base64>"}: an
// object whose only member is BinaryKey, holding standard base64 (RFC 4648
// section 4, with padding). Herald decodes each into a real Socket.IO
// binary attachment, so clients receive an ArrayBuffer or Buffer in its
// place.
const BinaryKey = "$binary"

// placeholderKey is Socket.IO's own marker of an attachment. In an event
// that carries attachments, a client would take a user object with this
// key for one, so such events refuse it.
const placeholderKey = "_placeholder"

// args is the event's arguments as read from the body: raw JSON in
// Socket.IO's Args form (comma-separated values, no brackets), still
// inside the body, with the $binary objects found in it.
type args struct {
	raw  []byte   // subslice of the body; nil when the event has none
	bins []binRef // $binary objects, in order; offsets are into raw
	atts [][]byte // their decoded bytes, in order
	n    int      // number of arguments
	ph   string   // path of the first _placeholder member, if any
}

// binRef is where one $binary object sits in args.raw.
type binRef struct{ start, end int }

// maxDepth bounds the nesting of event data, as the engine bounds what
// clients send, so that deep data cannot exhaust the stack here or in a
// client.
const maxDepth = socketio.MaxDepth

// data reads one JSON value of event data starting at the current
// position, validating it, recording $binary objects relative to base.
func (d *decoder) data(a *args, base, depth int) *Problem {
	switch c := d.peek(); {
	case c == '{':
		return d.dataObject(a, base, depth)
	case c == '[':
		if depth >= maxDepth {
			return d.problem(ProblemInvalidValue, "nested deeper than "+strconv.Itoa(maxDepth)+" levels")
		}
		return d.elements(func(int) *Problem { return d.data(a, base, depth+1) })
	case c == '"':
		if _, _, err := d.str(); err != nil {
			return d.syntax(err)
		}
	case c == '-' || '0' <= c && c <= '9':
		if _, err := d.number(); err != nil {
			return d.syntax(err)
		}
	default:
		if _, err := d.literal(); err != nil {
			return d.syntax(err)
		}
	}
	return nil
}

func (d *decoder) dataObject(a *args, base, depth int) *Problem {
	if depth >= maxDepth {
		return d.problem(ProblemInvalidValue, "nested deeper than "+strconv.Itoa(maxDepth)+" levels")
	}
	start := d.i
	members := 0
	var bin []byte // the $binary member's decoded bytes
	p := d.members(func(name []byte) *Problem {
		members++
		d.push(seg{raw: name})
		switch string(name) {
		case BinaryKey:
			var p *Problem
			if bin, p = d.base64(); p != nil {
				return p
			}
		case placeholderKey:
			if a.ph == "" {
				a.ph = d.field()
			}
			fallthrough
		default:
			if p := d.data(a, base, depth+1); p != nil {
				return p
			}
		}
		if bin != nil && members > 1 {
			return d.problem(ProblemInvalidValue, `an object with "$binary" must have no other member`)
		}
		d.pop()
		return nil
	})
	if p != nil {
		return p
	}
	if bin != nil {
		a.bins = append(a.bins, binRef{start: start - base, end: d.i - base})
		a.atts = append(a.atts, bin)
	}
	return nil
}

// base64 reads the value of a $binary member and decodes it. Success
// returns a non-nil slice, empty for empty data.
func (d *decoder) base64() ([]byte, *Problem) {
	if d.peek() != '"' {
		return nil, d.wrongType("a base64 string")
	}
	// Escapes are legal here: some encoders write "/" as "\/".
	_, text, p := d.quoted()
	if p != nil {
		return nil, p
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(text)))
	n, err := base64.StdEncoding.Strict().Decode(out, text)
	if err != nil {
		return nil, d.problem(ProblemInvalidValue, "not standard base64 with padding: "+err.Error())
	}
	return out[:n], nil
}
