package httphead

import (
	"bytes"
	"errors"
	"strconv"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		pollingHead,
		upgradeHead,
		"GET / HTTP/1.1\r\n\r\n",
		"POST /a?b HTTP/1.0\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\nhello",
		"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
		"POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
		"GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n",
		"GET / HTTP/1.1\r\nHost : a\r\n\r\n",
		"GET /a#b?c HTTP/1.1\r\n\r\n",
		"GET / HTTP/2.0\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		orig := bytes.Clone(b)
		var r Request
		n, err := r.Parse(b, 1<<16)
		if !bytes.Equal(b, orig) {
			t.Fatal("Parse modified its input")
		}
		if err != nil {
			if n != 0 {
				t.Fatalf("n = %d with error %v", n, err)
			}
			known := false
			for _, e := range []error{ErrIncomplete, ErrTooLarge, ErrTooManyHeaders, ErrMalformed, ErrVersion} {
				known = known || errors.Is(err, e)
			}
			if !known {
				t.Fatalf("unexpected error %v", err)
			}
			if errors.Is(err, ErrIncomplete) && bytes.Contains(b, crlfcrlf) {
				t.Fatalf("ErrIncomplete although the head is terminated")
			}
			return
		}
		if n < 4 || n > len(b) || bytes.Index(b, crlfcrlf) != n-4 {
			t.Fatalf("n = %d for a head of %d bytes ending at %d", n, len(b), bytes.Index(b, crlfcrlf)+4)
		}
		head := b[:n]
		checkRequest(t, &r, head)

		// The max bound is exact.
		var r2 Request
		if n2, err := r2.Parse(b, n); err != nil || n2 != n {
			t.Fatalf("Parse with max = n: %d, %v", n2, err)
		}
		if _, err := r2.Parse(b, n-1); err != ErrTooLarge {
			t.Fatalf("Parse with max = n-1: %v, want ErrTooLarge", err)
		}

		// A canonical rendering parses to the same request.
		canon := render(&r)
		var c Request
		cn, err := c.Parse(canon, len(canon))
		if err != nil || cn != len(canon) {
			t.Fatalf("canonical %q: n=%d err=%v", canon, cn, err)
		}
		if !bytes.Equal(c.Method, r.Method) || !bytes.Equal(c.Target, r.Target) ||
			!bytes.Equal(c.Path, r.Path) || !bytes.Equal(c.Query, r.Query) || (c.Query == nil) != (r.Query == nil) ||
			c.Minor != r.Minor || c.ContentLength != r.ContentLength || c.Chunked != r.Chunked ||
			c.TransferCoded != r.TransferCoded || c.KeepAlive != r.KeepAlive || len(c.Headers) != len(r.Headers) {
			t.Fatalf("canonical %q parses to %+v, original %+v", canon, c, r)
		}
		for i := range r.Headers {
			if !bytes.Equal(c.Headers[i].Name, r.Headers[i].Name) || !bytes.Equal(c.Headers[i].Value, r.Headers[i].Value) {
				t.Fatalf("header %d: %q: %q, original %q: %q", i, c.Headers[i].Name, c.Headers[i].Value, r.Headers[i].Name, r.Headers[i].Value)
			}
		}
	})
}

func checkRequest(t *testing.T, r *Request, head []byte) {
	t.Helper()
	if !within(r.Method, head) || !within(r.Target, head) {
		t.Fatal("request line outside the head")
	}
	if !within(r.Path, r.Target) || !within(r.Query, r.Target) {
		t.Fatal("path or query outside the target")
	}
	if !isToken(r.Method) || len(r.Target) == 0 || (r.Minor != 0 && r.Minor != 1) {
		t.Fatalf("bad request line %q %q %d", r.Method, r.Target, r.Minor)
	}
	for _, c := range r.Target {
		if c <= ' ' || c == 0x7f {
			t.Fatalf("target %q holds %q", r.Target, c)
		}
	}
	if bytes.IndexByte(r.Path, '?') >= 0 || bytes.IndexByte(r.Path, '#') >= 0 || bytes.IndexByte(r.Query, '#') >= 0 {
		t.Fatalf("path %q query %q", r.Path, r.Query)
	}
	if len(r.Headers) > MaxHeaders {
		t.Fatalf("%d headers", len(r.Headers))
	}
	for _, h := range r.Headers {
		if !within(h.Name, head) || !within(h.Value, head) {
			t.Fatalf("header %q: %q outside the head", h.Name, h.Value)
		}
		if !isToken(h.Name) || !isFieldValue(h.Value) || !bytes.Equal(trimOWS(h.Value), h.Value) {
			t.Fatalf("bad header %q: %q", h.Name, h.Value)
		}
	}
	if r.ContentLength < -1 || (r.TransferCoded && r.ContentLength != -1) || (r.Chunked && !r.TransferCoded) {
		t.Fatalf("framing: cl %d coded %v chunked %v", r.ContentLength, r.TransferCoded, r.Chunked)
	}
	if r.Minor == 0 && r.KeepAlive && !r.HasHeaderToken("Connection", "keep-alive") {
		t.Fatal("HTTP/1.0 keep-alive without Connection: keep-alive")
	}
	if r.KeepAlive && r.HasHeaderToken("Connection", "close") {
		t.Fatal("keep-alive despite Connection: close")
	}
}

func render(r *Request) []byte {
	var b []byte
	b = append(b, r.Method...)
	b = append(b, ' ')
	b = append(b, r.Target...)
	b = append(b, " HTTP/1."...)
	b = strconv.AppendInt(b, int64(r.Minor), 10)
	b = append(b, "\r\n"...)
	for _, h := range r.Headers {
		b = append(b, h.Name...)
		b = append(b, ": "...)
		b = append(b, h.Value...)
		b = append(b, "\r\n"...)
	}
	return append(b, "\r\n"...)
}
