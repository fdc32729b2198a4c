package push

import (
	"encoding/json"
	"fmt"
)

// scanner reads a request body as strict RFC 8259 JSON, in place. The
// push API decodes its few request shapes with it rather than with
// encoding/json because it needs three things encoding/json does not give:
// the event data as a subslice of the body (so that the data is copied
// once, into the packet), the exact path of an offending field
// ("targets.rooms[2]"), and unknown fields refused with their name.
//
// The body is checked to be valid UTF-8 before scanning starts, so the
// scanner only looks at ASCII structure.
type scanner struct {
	b []byte
	i int
}

// syntaxError is malformed JSON at a byte offset of the body.
type syntaxError struct {
	off int
	msg string
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at byte %d: %s", e.off, e.msg)
}

func (s *scanner) fail(msg string) error { return &syntaxError{off: s.i, msg: msg} }

func (s *scanner) skipWS() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next byte after white space, or 0 at the end.
func (s *scanner) peek() byte {
	s.skipWS()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// consume skips c, the next byte after white space, if it is there.
func (s *scanner) consume(c byte) bool {
	if s.peek() == c {
		s.i++
		return true
	}
	return false
}

// end checks that nothing but white space follows the document.
func (s *scanner) end() error {
	if s.peek() != 0 || s.i != len(s.b) {
		return s.fail("data after the end of the JSON document")
	}
	return nil
}

// str reads a string literal and returns it with its quotes, and whether
// it holds escapes.
func (s *scanner) str() (lit []byte, escaped bool, err error) {
	if s.peek() != '"' {
		return nil, false, s.fail("want a string")
	}
	start := s.i
	s.i++
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return s.b[start:s.i], escaped, nil
		case c == '\\':
			escaped = true
			if s.i+1 >= len(s.b) {
				return nil, false, s.fail("unterminated string")
			}
			switch s.b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if s.i+6 > len(s.b) || !isHex4(s.b[s.i+2:s.i+6]) {
					return nil, false, s.fail(`invalid \u escape`)
				}
				s.i += 6
			default:
				return nil, false, s.fail("invalid escape in string")
			}
		case c < 0x20:
			return nil, false, s.fail("control character in string")
		default:
			s.i++
		}
	}
	return nil, false, s.fail("unterminated string")
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// number reads a number literal.
func (s *scanner) number() ([]byte, error) {
	s.skipWS()
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(s.b) && s.b[s.i] == '0':
		s.i++
		if s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
			return nil, s.fail("a number has no leading zeros")
		}
	case s.i < len(s.b) && '1' <= s.b[s.i] && s.b[s.i] <= '9':
		s.digits()
	default:
		return nil, s.fail("want a number")
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if s.digits() == 0 {
			return nil, s.fail("want a digit after the decimal point")
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if s.digits() == 0 {
			return nil, s.fail("want a digit in the exponent")
		}
	}
	return s.b[start:s.i], nil
}

func (s *scanner) digits() int {
	n := 0
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
		n++
	}
	return n
}

// literal reads true, false or null.
func (s *scanner) literal() ([]byte, error) {
	s.skipWS()
	for _, lit := range [...]string{"true", "false", "null"} {
		if len(s.b)-s.i >= len(lit) && string(s.b[s.i:s.i+len(lit)]) == lit {
			s.i += len(lit)
			return s.b[s.i-len(lit) : s.i], nil
		}
	}
	return nil, s.fail("want a value")
}

// unquote returns the text of a string literal. Literals without escapes
// are sliced; the rare escaped one goes through encoding/json, whose
// handling of surrogates the rest of Herald shares.
func unquote(lit []byte, escaped bool) ([]byte, error) {
	if !escaped {
		return lit[1 : len(lit)-1], nil
	}
	var s string
	if err := json.Unmarshal(lit, &s); err != nil {
		return nil, fmt.Errorf("unquote: %w", err)
	}
	return []byte(s), nil
}

// kindOf names the JSON type that starts with c, for error messages.
func kindOf(c byte) string {
	switch {
	case c == '"':
		return "a string"
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	case c == '-' || '0' <= c && c <= '9':
		return "a number"
	}
	return kindInvalid
}

// kindInvalid is kindOf a byte that starts no JSON value.
const kindInvalid = "an invalid value"
