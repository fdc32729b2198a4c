package push

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// decoder reads one request body and keeps the path to the value being
// read, so that every error names its field. Paths are built as strings
// only when an error is reported: reading a valid body allocates nothing
// for them.
type decoder struct {
	scanner
	path []seg
}

// seg is one step of a path: a member name or an array index.
type seg struct {
	name  string // a fixed field name, or
	raw   []byte // a member name from the body (event data), or
	index int    // an index, when isIndex
	isIdx bool
}

func newDecoder(body []byte) *decoder {
	return &decoder{scanner: scanner{b: body}, path: make([]seg, 0, 8)}
}

func (d *decoder) push(s seg)        { d.path = append(d.path, s) }
func (d *decoder) pop()              { d.path = d.path[:len(d.path)-1] }
func (d *decoder) pushName(n string) { d.push(seg{name: n}) }
func (d *decoder) pushIndex(i int)   { d.push(seg{index: i, isIdx: true}) }

// field renders the current path, such as "emits[1].targets.rooms[2]".
func (d *decoder) field() string {
	var b strings.Builder
	for i, s := range d.path {
		switch {
		case s.isIdx:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.index))
			b.WriteByte(']')
		default:
			if i > 0 {
				b.WriteByte('.')
			}
			if s.raw != nil {
				b.Write(s.raw)
			} else {
				b.WriteString(s.name)
			}
		}
	}
	return b.String()
}

// problem reports a problem of type typ at the current path.
func (d *decoder) problem(typ, detail string) *Problem {
	return newProblem(typ, d.field(), detail)
}

// syntax turns a scanner error into a problem at the current path.
func (d *decoder) syntax(err error) *Problem {
	var se *syntaxError
	if errors.As(err, &se) {
		return d.problem(ProblemInvalidJSON, se.Error())
	}
	return d.problem(ProblemInvalidJSON, err.Error())
}

// wrongType reports a value of another type than want; a byte that
// starts no JSON value is a syntax error instead.
func (d *decoder) wrongType(want string) *Problem {
	k := kindOf(d.peek())
	if k == kindInvalid {
		return d.syntax(d.fail("want " + want))
	}
	return d.problem(ProblemWrongType, "want "+want+", got "+k)
}

// begin checks that the body is UTF-8 (WebSocket text frames must be, and
// the data is sent on as is) and starts with an object.
func (d *decoder) begin() *Problem {
	if !utf8.Valid(d.b) {
		return newProblem(ProblemInvalidJSON, "", "the body is not valid UTF-8")
	}
	if d.peek() == 0 {
		return newProblem(ProblemInvalidJSON, "", "the body is empty")
	}
	return nil
}

// finish checks that nothing follows the document.
func (d *decoder) finish() *Problem {
	if err := d.end(); err != nil {
		return d.syntax(err)
	}
	return nil
}

// fields is the member names an object accepts, in order; the index of a
// name is its bit in the set of names seen, for duplicates.
type fields []string

func (f fields) index(name []byte) int {
	for i, n := range f {
		if n == string(name) {
			return i
		}
	}
	return -1
}

// object reads an object whose members are all in known, calling fn with
// each member's index in known while the member's name is on the path.
// fn must read the value. Unknown and repeated names are refused.
func (d *decoder) object(known fields, fn func(i int) *Problem) *Problem {
	if d.peek() != '{' {
		return d.wrongType("an object")
	}
	var seen uint64
	return d.members(func(name []byte) *Problem {
		i := known.index(name)
		if i < 0 {
			d.push(seg{raw: name})
			p := d.problem(ProblemUnknownField, "unknown field "+strconv.Quote(string(name))+"; known fields: "+strings.Join(known, ", "))
			d.pop()
			return p
		}
		d.pushName(known[i])
		if seen&(1<<i) != 0 {
			p := d.problem(ProblemDuplicateField, "the field appears twice")
			d.pop()
			return p
		}
		seen |= 1 << i
		if p := fn(i); p != nil {
			return p
		}
		d.pop()
		return nil
	})
}

// members reads the object that starts at the current byte, '{', calling
// fn with each member's name once its ':' is read. fn must read the value
// and keep the path as it found it.
func (d *decoder) members(fn func(name []byte) *Problem) *Problem {
	d.i++
	if d.consume('}') {
		return nil
	}
	for {
		_, name, p := d.quoted()
		if p != nil {
			return p
		}
		if !d.consume(':') {
			return d.syntax(d.fail("want ':' after a member name"))
		}
		if p := fn(name); p != nil {
			return p
		}
		if more, p := d.more('}'); !more {
			return p
		}
	}
}

// elements reads the array that starts at the current byte, '[', calling
// fn with each element's index while the index is on the path. fn must
// read the element.
func (d *decoder) elements(fn func(n int) *Problem) *Problem {
	d.i++
	if d.consume(']') {
		return nil
	}
	for n := 0; ; n++ {
		d.pushIndex(n)
		if p := fn(n); p != nil {
			return p
		}
		d.pop()
		if more, p := d.more(']'); !more {
			return p
		}
	}
}

// more reads what follows a value in an array (close is ']') or an
// object ('}'): true after a ',', false after close.
func (d *decoder) more(close byte) (bool, *Problem) {
	switch {
	case d.consume(','):
		return true, nil
	case d.consume(close):
		return false, nil
	case close == ']':
		return false, d.syntax(d.fail("want ',' or ']' in an array"))
	}
	return false, d.syntax(d.fail("want ',' or '}' in an object"))
}

// quoted reads a string, and returns its literal as in the body and its
// unquoted bytes.
func (d *decoder) quoted() (lit, s []byte, p *Problem) {
	lit, esc, err := d.str()
	if err != nil {
		return nil, nil, d.syntax(err)
	}
	if s, err = unquote(lit, esc); err != nil {
		return nil, nil, d.syntax(err)
	}
	return lit, s, nil
}

// null skips a null, which stands for an absent optional field.
func (d *decoder) null() bool {
	if d.peek() != 'n' {
		return false
	}
	_, err := d.literal()
	return err == nil
}

// string reads a non-empty string.
func (d *decoder) string() (string, *Problem) {
	if d.peek() != '"' {
		return "", d.wrongType("a string")
	}
	_, s, p := d.quoted()
	if p != nil {
		return "", p
	}
	if len(s) == 0 {
		return "", d.problem(ProblemInvalidValue, "must not be empty")
	}
	return string(s), nil
}

// strings reads an array of non-empty strings; null is an empty list.
func (d *decoder) strings() ([]string, *Problem) {
	if d.null() {
		return nil, nil
	}
	if d.peek() != '[' {
		return nil, d.wrongType("an array of strings")
	}
	var out []string
	p := d.elements(func(int) *Problem {
		s, p := d.string()
		out = append(out, s)
		return p
	})
	if p != nil {
		return nil, p
	}
	return out, nil
}

// bool reads a boolean; null is false.
func (d *decoder) bool() (bool, *Problem) {
	switch d.peek() {
	case 't', 'f', 'n':
		lit, err := d.literal()
		if err != nil {
			return false, d.syntax(err)
		}
		return lit[0] == 't', nil
	}
	return false, d.wrongType("a boolean")
}

// int reads an integer in [lo, hi]; null is 0.
func (d *decoder) int(lo, hi int64) (int64, *Problem) {
	if d.null() {
		return 0, nil
	}
	c := d.peek()
	if c != '-' && (c < '0' || c > '9') {
		return 0, d.wrongType("an integer")
	}
	lit, err := d.number()
	if err != nil {
		return 0, d.syntax(err)
	}
	n, err := strconv.ParseInt(string(lit), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(string(lit), 64)
		if ferr != nil || f != math.Trunc(f) || f < math.MinInt64 || f > math.MaxInt64 {
			return 0, d.problem(ProblemWrongType, "want an integer, got "+string(lit))
		}
		n = int64(f)
	}
	if n < lo || n > hi {
		return 0, d.problem(ProblemInvalidValue, "must be between "+strconv.FormatInt(lo, 10)+" and "+strconv.FormatInt(hi, 10))
	}
	return n, nil
}
