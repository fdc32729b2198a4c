package socketio

import (
	"encoding/base64"
	"unicode/utf8"
)

// MaxDepth bounds the nesting of arrays and objects in a payload, so that a
// hostile packet cannot make the recursive scanner exhaust the stack.
const MaxDepth = 256

// strPlain marks the bytes that need no attention inside a JSON string: ASCII
// other than control characters, '"' and '\\'.
var strPlain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = true
	}
	t['"'] = false
	t['\\'] = false
	return t
}()

func isWS(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isDigit(c byte) bool { return c-'0' < 10 }

func skipWS(b []byte, i int) int {
	for i < len(b) && isWS(b[i]) {
		i++
	}
	return i
}

func trimWS(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && isWS(b[i]) {
		i++
	}
	for j > i && isWS(b[j-1]) {
		j--
	}
	return b[i:j]
}

// scanner validates JSON per RFC 8259 without building values. With natt > 0
// it also checks binary placeholders against natt attachments, and with
// rewrite set it copies the input to out, replacing each placeholder by its
// attachment as a base64 string.
type scanner struct {
	data  []byte
	depth int

	natt    int
	rewrite bool
	atts    [][]byte
	out     []byte
	copied  int // data[:copied] has been accounted for in out
	hasHole bool

	// used records the attachments already referenced. A num may appear
	// only once, as socket.io-parser's encoder produces; otherwise a small
	// packet could make ReplacePlaceholders copy one large attachment
	// thousands of times.
	used    [4]uint64
	usedBig []uint64 // when natt > 256
}

// use marks attachment n as referenced and reports whether it was free.
func (s *scanner) use(n int) bool {
	w, bit := n/64, uint64(1)<<(n%64)
	var set []uint64
	if s.natt <= 64*len(s.used) {
		set = s.used[:]
	} else {
		if s.usedBig == nil {
			s.usedBig = make([]uint64, (s.natt+63)/64)
		}
		set = s.usedBig
	}
	if set[w]&bit != 0 {
		return false
	}
	set[w] |= bit
	return true
}

// validJSON reports whether b is exactly one JSON value, optionally
// surrounded by whitespace.
func validJSON(b []byte) error {
	s := scanner{data: b}
	return s.whole()
}

// whole scans s.data as exactly one value with optional whitespace around it.
func (s *scanner) whole() error {
	i := skipWS(s.data, 0)
	end, err := s.value(i)
	if err != nil {
		return err
	}
	if skipWS(s.data, end) != len(s.data) {
		return ErrJSON
	}
	return nil
}

// value scans the value starting at i and returns the index just past it.
func (s *scanner) value(i int) (int, error) {
	b := s.data
	if i >= len(b) {
		return 0, ErrJSON
	}
	switch c := b[i]; {
	case c == '"':
		end, _, err := scanString(b, i)
		return end, err
	case c == '{':
		return s.object(i)
	case c == '[':
		return s.array(i)
	case c == '-' || isDigit(c):
		return scanNumber(b, i)
	case c == 't':
		return scanLiteral(b, i, "true")
	case c == 'f':
		return scanLiteral(b, i, "false")
	case c == 'n':
		return scanLiteral(b, i, "null")
	}
	return 0, ErrJSON
}

func (s *scanner) array(i int) (int, error) {
	if s.depth++; s.depth > MaxDepth {
		return 0, ErrTooDeep
	}
	b := s.data
	j := skipWS(b, i+1)
	if j < len(b) && b[j] == ']' {
		s.depth--
		return j + 1, nil
	}
	for {
		var err error
		if j, err = s.value(j); err != nil {
			return 0, err
		}
		j = skipWS(b, j)
		if j >= len(b) {
			return 0, ErrJSON
		}
		switch b[j] {
		case ',':
			j = skipWS(b, j+1)
		case ']':
			s.depth--
			return j + 1, nil
		default:
			return 0, ErrJSON
		}
	}
}

func (s *scanner) object(i int) (int, error) {
	if s.depth++; s.depth > MaxDepth {
		return 0, ErrTooDeep
	}
	b := s.data
	outMark, copiedMark := len(s.out), s.copied
	var isPlaceholder bool
	numStart, numEnd := -1, -1

	j := skipWS(b, i+1)
	if j < len(b) && b[j] == '}' {
		s.depth--
		return j + 1, nil
	}
	for {
		if j >= len(b) || b[j] != '"' {
			return 0, ErrJSON
		}
		keyStart := j
		end, escaped, err := scanString(b, j)
		if err != nil {
			return 0, err
		}
		j = skipWS(b, end)
		if j >= len(b) || b[j] != ':' {
			return 0, ErrJSON
		}
		valStart := skipWS(b, j+1)
		if j, err = s.value(valStart); err != nil {
			return 0, err
		}
		if s.natt > 0 {
			// Later duplicates win, as with JSON.parse.
			key := b[keyStart+1 : end-1]
			switch {
			case stringEquals(key, escaped, "_placeholder"):
				isPlaceholder = j-valStart == 4 && b[valStart] == 't'
			case stringEquals(key, escaped, "num"):
				numStart, numEnd = valStart, j
			}
		}
		j = skipWS(b, j)
		if j >= len(b) {
			return 0, ErrJSON
		}
		switch b[j] {
		case ',':
			j = skipWS(b, j+1)
			continue
		case '}':
		default:
			return 0, ErrJSON
		}
		s.depth--
		end = j + 1
		if isPlaceholder {
			n, ok := placeholderNum(b, numStart, numEnd, s.natt)
			if !ok || !s.use(n) {
				return 0, ErrPlaceholder
			}
			s.hasHole = true
			if s.rewrite {
				// A placeholder replaces the whole object, including any
				// placeholder already rewritten inside it.
				s.out = append(s.out[:outMark], b[copiedMark:i]...)
				s.out = append(s.out, '"')
				s.out = base64.StdEncoding.AppendEncode(s.out, s.atts[n])
				s.out = append(s.out, '"')
				s.copied = end
			}
		}
		return end, nil
	}
}

// placeholderNum parses the num member of a placeholder: a plain
// non-negative integer below natt. socket.io-parser also accepts other
// numbers that JavaScript equates to an integer (1.0, 1e0); they never come
// from a real encoder, so they are refused here.
func placeholderNum(b []byte, start, end, natt int) (int, bool) {
	if start < 0 || start == end {
		return 0, false
	}
	n := 0
	for _, c := range b[start:end] {
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + int(c-'0')
		if n >= natt {
			return 0, false
		}
	}
	return n, true
}

// scanString scans the string starting at the '"' at i. It reports whether
// the string contains escapes, which callers need before comparing it.
func scanString(b []byte, i int) (end int, escaped bool, err error) {
	j := i + 1
	for {
		for j < len(b) && strPlain[b[j]] {
			j++
		}
		if j >= len(b) {
			return 0, false, ErrJSON
		}
		switch c := b[j]; {
		case c == '"':
			return j + 1, escaped, nil
		case c == '\\':
			escaped = true
			if j+1 >= len(b) {
				return 0, false, ErrJSON
			}
			switch b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				if j+6 > len(b) {
					return 0, false, ErrJSON
				}
				if _, ok := hex4(b[j+2 : j+6]); !ok {
					return 0, false, ErrJSON
				}
				j += 6
			default:
				return 0, false, ErrJSON
			}
		case c < 0x20:
			return 0, false, ErrJSON
		default:
			r, size := utf8.DecodeRune(b[j:])
			if r == utf8.RuneError && size == 1 {
				return 0, false, ErrJSON
			}
			j += size
		}
	}
}

// hex4 decodes the four hex digits of a \u escape.
func hex4(b []byte) (rune, bool) {
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// scanNumber scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? at i.
// The caller checks that a delimiter follows.
func scanNumber(b []byte, i int) (int, error) {
	j := i
	if b[j] == '-' {
		j++
	}
	switch {
	case j >= len(b):
		return 0, ErrJSON
	case b[j] == '0':
		j++
	case isDigit(b[j]):
		for j < len(b) && isDigit(b[j]) {
			j++
		}
	default:
		return 0, ErrJSON
	}
	if j < len(b) && b[j] == '.' {
		j++
		k := j
		for j < len(b) && isDigit(b[j]) {
			j++
		}
		if j == k {
			return 0, ErrJSON
		}
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		k := j
		for j < len(b) && isDigit(b[j]) {
			j++
		}
		if j == k {
			return 0, ErrJSON
		}
	}
	return j, nil
}

func scanLiteral(b []byte, i int, lit string) (int, error) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return 0, ErrJSON
	}
	return i + len(lit), nil
}

// stringEquals compares the contents of a validated JSON string (without
// quotes) to want, resolving escapes when there are any.
func stringEquals(raw []byte, escaped bool, want string) bool {
	if !escaped {
		return string(raw) == want
	}
	// An escape spells at most one byte of want per 6 raw bytes and at least
	// one per 2; anything outside that range cannot match.
	if len(raw) > 6*len(want) || len(raw) < len(want) {
		return false
	}
	var buf [64]byte
	if len(want) > len(buf) {
		return string(appendUnescaped(nil, raw)) == want
	}
	return string(appendUnescaped(buf[:0], raw)) == want
}

// Unquote decodes raw, the JSON text of one string, the way event names
// are decoded: a name without escapes costs only the string itself. It
// reports false when raw is not exactly one valid JSON string.
func Unquote(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	end, escaped, err := scanString(raw, 0)
	if err != nil || end != len(raw) {
		return "", false
	}
	if !escaped {
		return string(raw[1 : end-1]), true
	}
	var buf [64]byte
	return string(appendUnescaped(buf[:0], raw[1:end-1])), true
}

// appendUnescaped appends the decoded contents of a validated JSON string
// (without quotes). Unpaired surrogates become U+FFFD, as in encoding/json.
func appendUnescaped(dst, raw []byte) []byte {
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			start := i
			for i < len(raw) && raw[i] != '\\' {
				i++
			}
			dst = append(dst, raw[start:i]...)
			continue
		}
		switch e := raw[i+1]; e {
		case 'u':
			r, _ := hex4(raw[i+2 : i+6])
			i += 6
			if utf8.ValidRune(r) {
				dst = utf8.AppendRune(dst, r)
				continue
			}
			// r is a surrogate: combine a high one with a following low one.
			if r < 0xdc00 && i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
				if lo, ok := hex4(raw[i+2 : i+6]); ok && lo >= 0xdc00 && lo < 0xe000 {
					dst = utf8.AppendRune(dst, 0x10000+(r-0xd800)<<10+(lo-0xdc00))
					i += 6
					continue
				}
			}
			dst = utf8.AppendRune(dst, utf8.RuneError)
		default:
			dst = append(dst, unescapeByte[e])
			i += 2
		}
	}
	return dst
}

var unescapeByte = [256]byte{
	'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t',
}
