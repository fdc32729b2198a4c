package engine

import (
	"encoding/json"
	"fmt"

	"github.com/heraldrt/herald/protocol/socketio"
)

// Args are the arguments of an event or an acknowledgement, kept as the
// JSON the client sent until a handler asks for Go values. Binary
// attachments are held beside the JSON and put back in place on Decode.
type Args struct {
	raw  socketio.Args
	atts [][]byte
}

// Len is the number of arguments.
func (a Args) Len() int { return a.raw.Len() }

// Raw returns argument i as raw JSON, with binary attachments still shown
// as placeholders, or nil when there is no such argument.
func (a Args) Raw(i int) json.RawMessage { return json.RawMessage(a.raw.At(i)) }

// Size is the bytes the arguments hold, attachments included.
func (a Args) Size() int {
	n := len(a.raw)
	for _, b := range a.atts {
		n += len(b)
	}
	return n
}

// Attachments are the binary attachments, in placeholder order.
func (a Args) Attachments() [][]byte { return a.atts }

// Decode unmarshals argument i into v. Binary attachments become []byte
// values; with v of type *any, they appear as []byte in the result.
func (a Args) Decode(i int, v any) error {
	raw := a.raw.At(i)
	if raw == nil {
		return fmt.Errorf("engine: no argument %d (have %d)", i, a.Len())
	}
	return socketio.DecodeArgs(raw, a.atts, v)
}

// String returns argument i when it is a JSON string.
func (a Args) String(i int) (string, bool) { return socketio.Unquote(a.raw.At(i)) }

// Values decodes every argument into plain Go values (maps, slices,
// strings, float64, bool, nil and []byte).
func (a Args) Values() ([]any, error) {
	// One pass: Decode(i) would find each argument by scanning from the
	// start, quadratic in a hostile event of many small arguments.
	out := make([]any, 0, a.Len())
	var err error
	a.raw.Each(func(i int, raw []byte) bool {
		var v any
		if err = socketio.DecodeArgs(raw, a.atts, &v); err != nil {
			return false
		}
		out = append(out, v)
		return true
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// MarshalJSON renders the arguments as a JSON array, attachments left as
// placeholders.
func (a Args) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, len(a.raw)+2)
	b = append(b, '[')
	b = append(b, a.raw...)
	return append(b, ']'), nil
}

// ownArgs copies raw args out of a read buffer.
func ownArgs(raw socketio.Args, atts [][]byte) Args {
	return Args{raw: append(socketio.Args(nil), raw...), atts: atts}
}

// encodeArgs turns Go values into Args form. A single Args value is passed
// through untouched, so that handlers can forward what they received.
func encodeArgs(dst []byte, args []any) ([]byte, [][]byte, error) {
	if len(args) == 1 {
		if a, ok := args[0].(Args); ok {
			return append(dst, a.raw...), a.atts, nil
		}
	}
	return socketio.EncodeArgs(dst, args)
}
