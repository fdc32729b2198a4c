// Package httphead parses HTTP/1.1 request heads in place, without
// allocating, so that an event loop can route a request straight from its
// inbound buffer.
//
// The parser is strict where leniency enables request smuggling: it rejects
// whitespace before a header colon, obsolete line folding, conflicting
// Content-Length values and requests that carry both Content-Length and
// Transfer-Encoding.
package httphead

import (
	"bytes"
	"errors"
	"fmt"
)

// MaxHeaders bounds the number of header fields in one request.
const MaxHeaders = 64

// Errors returned by Parse. ErrIncomplete means more bytes are needed; every
// other error means the request must be refused.
var (
	ErrIncomplete     = errors.New("httphead: incomplete request head")
	ErrTooLarge       = errors.New("httphead: request head too large")
	ErrTooManyHeaders = errors.New("httphead: too many header fields")
	ErrMalformed      = errors.New("httphead: malformed request")
	ErrVersion        = errors.New("httphead: unsupported HTTP version")
)

// Header is one header field; both slices alias the parsed buffer.
type Header struct {
	Name, Value []byte
}

// Request is a parsed request head. Every slice aliases the buffer given to
// Parse and is valid only as long as that buffer is.
type Request struct {
	Method []byte
	Target []byte // the request-target as sent
	Path   []byte // Target up to '?'
	Query  []byte // Target after '?', without the fragment
	Minor  int    // HTTP/1.Minor

	Headers []Header

	ContentLength int64 // -1 when the request has no Content-Length
	Chunked       bool  // Transfer-Encoding: chunked
	TransferCoded bool  // any Transfer-Encoding at all
	KeepAlive     bool  // the connection may carry another request

	buf [MaxHeaders]Header
}

// Parse parses the request head at the start of b. It returns the length of
// the head including its final blank line. When b does not yet hold a whole
// head it returns ErrIncomplete, or ErrTooLarge once max bytes have been seen.
func (r *Request) Parse(b []byte, max int) (int, error) {
	end := bytes.Index(b, crlfcrlf)
	if end < 0 {
		if len(b) >= max {
			return 0, ErrTooLarge
		}
		return 0, ErrIncomplete
	}
	n := end + len(crlfcrlf)
	if n > max {
		return 0, ErrTooLarge
	}
	if err := r.parse(b[:end+2]); err != nil {
		return 0, err
	}
	return n, nil
}

var crlfcrlf = []byte("\r\n\r\n")

func (r *Request) parse(head []byte) error {
	// Reset field by field: clearing buf would cost more than parsing.
	r.Method, r.Target, r.Path, r.Query, r.Minor = nil, nil, nil, nil, 0
	r.ContentLength, r.Chunked, r.TransferCoded, r.KeepAlive = -1, false, false, false
	line, rest := cutLine(head)
	if err := r.parseRequestLine(line); err != nil {
		return err
	}
	r.Headers = r.buf[:0]
	var connClose, connKeepAlive bool
	for len(rest) > 0 {
		line, rest = cutLine(rest)
		if len(line) == 0 {
			return fmt.Errorf("%w: empty header line", ErrMalformed)
		}
		if line[0] == ' ' || line[0] == '\t' {
			return fmt.Errorf("%w: obsolete line folding", ErrMalformed)
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return fmt.Errorf("%w: header without colon", ErrMalformed)
		}
		name := line[:colon]
		if !isToken(name) {
			return fmt.Errorf("%w: invalid header name %q", ErrMalformed, name)
		}
		value := trimOWS(line[colon+1:])
		if !isFieldValue(value) {
			return fmt.Errorf("%w: invalid value in header %q", ErrMalformed, name)
		}
		if len(r.Headers) == MaxHeaders {
			return ErrTooManyHeaders
		}
		r.Headers = append(r.Headers, Header{Name: name, Value: value})
		switch {
		case equalFold(name, "content-length"):
			n, ok := parseLength(value)
			if !ok || (r.ContentLength >= 0 && r.ContentLength != n) {
				return fmt.Errorf("%w: invalid Content-Length", ErrMalformed)
			}
			r.ContentLength = n
		case equalFold(name, "transfer-encoding"):
			r.TransferCoded = true
			r.Chunked = lastToken(value, "chunked")
		case equalFold(name, "connection"):
			connClose = connClose || HasToken(value, "close")
			connKeepAlive = connKeepAlive || HasToken(value, "keep-alive")
		}
	}
	if r.TransferCoded && r.ContentLength >= 0 {
		return fmt.Errorf("%w: both Content-Length and Transfer-Encoding", ErrMalformed)
	}
	if r.Minor >= 1 {
		r.KeepAlive = !connClose
	} else {
		r.KeepAlive = connKeepAlive && !connClose
	}
	return nil
}

func (r *Request) parseRequestLine(line []byte) error {
	sp := bytes.IndexByte(line, ' ')
	if sp <= 0 {
		return fmt.Errorf("%w: bad request line", ErrMalformed)
	}
	r.Method = line[:sp]
	if !isToken(r.Method) {
		return fmt.Errorf("%w: bad method", ErrMalformed)
	}
	line = line[sp+1:]
	sp = bytes.IndexByte(line, ' ')
	if sp <= 0 {
		return fmt.Errorf("%w: bad request line", ErrMalformed)
	}
	r.Target = line[:sp]
	for _, c := range r.Target {
		if c <= ' ' || c == 0x7f {
			return fmt.Errorf("%w: bad request target", ErrMalformed)
		}
	}
	proto := line[sp+1:]
	if len(proto) != 8 || string(proto[:7]) != "HTTP/1." {
		if bytes.HasPrefix(proto, []byte("HTTP/")) {
			return ErrVersion
		}
		return fmt.Errorf("%w: bad protocol", ErrMalformed)
	}
	switch proto[7] {
	case '0':
		r.Minor = 0
	case '1':
		r.Minor = 1
	default:
		return ErrVersion
	}
	r.Path = r.Target
	if i := bytes.IndexByte(r.Path, '#'); i >= 0 {
		r.Path = r.Path[:i]
	}
	if i := bytes.IndexByte(r.Path, '?'); i >= 0 {
		r.Path, r.Query = r.Path[:i], r.Path[i+1:]
	}
	return nil
}

// Header returns the value of the first header field named name, compared
// without regard to case, or nil.
func (r *Request) Header(name string) []byte {
	for _, h := range r.Headers {
		if equalFold(h.Name, name) {
			return h.Value
		}
	}
	return nil
}

// HasHeaderToken reports whether any header field named name carries token
// in its comma-separated list, compared without regard to case.
func (r *Request) HasHeaderToken(name, token string) bool {
	for _, h := range r.Headers {
		if equalFold(h.Name, name) && HasToken(h.Value, token) {
			return true
		}
	}
	return false
}

func cutLine(b []byte) (line, rest []byte) {
	i := bytes.Index(b, []byte("\r\n"))
	if i < 0 {
		return b, nil
	}
	return b[:i], b[i+2:]
}

func parseLength(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
