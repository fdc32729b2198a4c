package httphead

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"reflect"
	"strings"
	"testing"
	"unsafe"
)

const pollingHead = "GET /socket.io/?EIO=4&transport=polling&t=PHYHmHR&sid=lv_VI97HAXpY6yYWAAAC HTTP/1.1\r\n" +
	"Host: localhost:3000\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n" +
	"Accept: */*\r\n" +
	"Accept-Language: en-US,en;q=0.5\r\n" +
	"Accept-Encoding: gzip, deflate, br\r\n" +
	"Origin: http://localhost:8080\r\n" +
	"Connection: keep-alive\r\n" +
	"Referer: http://localhost:8080/\r\n" +
	"Cookie: io=lv_VI97HAXpY6yYWAAAC\r\n" +
	"\r\n"

const upgradeHead = "GET /socket.io/?EIO=4&transport=websocket&sid=lv_VI97HAXpY6yYWAAAC HTTP/1.1\r\n" +
	"Host: localhost:3000\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n" +
	"Accept: */*\r\n" +
	"Accept-Language: en-US,en;q=0.5\r\n" +
	"Accept-Encoding: gzip, deflate, br\r\n" +
	"Sec-WebSocket-Version: 13\r\n" +
	"Origin: http://localhost:8080\r\n" +
	"Sec-WebSocket-Extensions: permessage-deflate\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
	"Connection: keep-alive, Upgrade\r\n" +
	"Pragma: no-cache\r\n" +
	"Cache-Control: no-cache\r\n" +
	"Upgrade: websocket\r\n" +
	"\r\n"

func parse(t *testing.T, head string) (*Request, int, error) {
	t.Helper()
	var r Request
	n, err := r.Parse([]byte(head), 1<<16)
	return &r, n, err
}

func TestParseRequestLine(t *testing.T) {
	cases := []struct {
		line                        string
		method, target, path, query string
		noQuery                     bool
		minor                       int
		err                         error
	}{
		{line: "GET / HTTP/1.1", method: "GET", target: "/", path: "/", noQuery: true, minor: 1},
		{line: "GET /socket.io/?EIO=4&transport=polling&t=N8hyd6w HTTP/1.1", method: "GET",
			target: "/socket.io/?EIO=4&transport=polling&t=N8hyd6w", path: "/socket.io/", query: "EIO=4&transport=polling&t=N8hyd6w", minor: 1},
		{line: "POST /engine.io/?EIO=4&transport=polling&sid=abc HTTP/1.1", method: "POST",
			target: "/engine.io/?EIO=4&transport=polling&sid=abc", path: "/engine.io/", query: "EIO=4&transport=polling&sid=abc", minor: 1},
		{line: "GET /a HTTP/1.0", method: "GET", target: "/a", path: "/a", noQuery: true, minor: 0},
		{line: "OPTIONS * HTTP/1.1", method: "OPTIONS", target: "*", path: "*", noQuery: true, minor: 1},
		{line: "CONNECT example.com:443 HTTP/1.1", method: "CONNECT", target: "example.com:443", path: "example.com:443", noQuery: true, minor: 1},
		{line: "GET http://example.com/a?b=1 HTTP/1.1", method: "GET", target: "http://example.com/a?b=1", path: "http://example.com/a", query: "b=1", minor: 1},
		{line: "GET /a? HTTP/1.1", method: "GET", target: "/a?", path: "/a", query: "", minor: 1},
		{line: "GET /a?b?c HTTP/1.1", method: "GET", target: "/a?b?c", path: "/a", query: "b?c", minor: 1},
		{line: "GET /a?b=1#frag HTTP/1.1", method: "GET", target: "/a?b=1#frag", path: "/a", query: "b=1", minor: 1},
		{line: "GET /a#frag HTTP/1.1", method: "GET", target: "/a#frag", path: "/a", noQuery: true, minor: 1},
		{line: "GET /a%20b?x=%26 HTTP/1.1", method: "GET", target: "/a%20b?x=%26", path: "/a%20b", query: "x=%26", minor: 1},
		{line: "get / HTTP/1.1", method: "get", target: "/", path: "/", noQuery: true, minor: 1},
		{line: "M-SEARCH * HTTP/1.1", method: "M-SEARCH", target: "*", path: "*", noQuery: true, minor: 1},
		{line: "GET /\xc3\xa9 HTTP/1.1", method: "GET", target: "/\xc3\xa9", path: "/\xc3\xa9", noQuery: true, minor: 1},

		{line: "GET / HTTP/1.2", err: ErrVersion},
		{line: "GET / HTTP/1.9", err: ErrVersion},
		{line: "GET / HTTP/2.0", err: ErrVersion},
		{line: "GET / HTTP/0.9", err: ErrVersion},
		{line: "GET / HTTP/1.10", err: ErrVersion},
		{line: "GET / HTTP/1", err: ErrVersion},
		{line: "GET / http/1.1", err: ErrMalformed},
		{line: "GET / HTTPS/1.1", err: ErrMalformed},
		{line: "GET /", err: ErrMalformed},
		{line: "GET", err: ErrMalformed},
		{line: "", err: ErrMalformed},
		{line: "GET  / HTTP/1.1", err: ErrMalformed},
		{line: " GET / HTTP/1.1", err: ErrMalformed},
		{line: "GET /a b HTTP/1.1", err: ErrMalformed},
		{line: "GET\t/ HTTP/1.1", err: ErrMalformed},
		{line: "GET /a\tb HTTP/1.1", err: ErrMalformed},
		{line: "GET /a\x00 HTTP/1.1", err: ErrMalformed},
		{line: "GET /a\x7f HTTP/1.1", err: ErrMalformed},
		{line: "GET /a\nb HTTP/1.1", err: ErrMalformed},
		{line: "GET /a\rb HTTP/1.1", err: ErrMalformed},
		{line: "GE(T / HTTP/1.1", err: ErrMalformed},
		{line: "GET\x00 / HTTP/1.1", err: ErrMalformed},
		{line: "GET / HTTP/1.1\x00", err: ErrVersion},
	}
	for _, c := range cases {
		head := c.line + "\r\nHost: x\r\n\r\n"
		r, n, err := parse(t, head)
		if c.err != nil {
			if !errors.Is(err, c.err) {
				t.Errorf("%q: err = %v, want %v", c.line, err, c.err)
			}
			if n != 0 {
				t.Errorf("%q: n = %d on error", c.line, n)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.line, err)
			continue
		}
		if n != len(head) {
			t.Errorf("%q: n = %d, want %d", c.line, n, len(head))
		}
		if string(r.Method) != c.method || string(r.Target) != c.target || string(r.Path) != c.path ||
			string(r.Query) != c.query || (r.Query == nil) != c.noQuery || r.Minor != c.minor {
			t.Errorf("%q: got method %q target %q path %q query %q (nil %v) minor %d",
				c.line, r.Method, r.Target, r.Path, r.Query, r.Query == nil, r.Minor)
		}
	}
}

func TestParseHeaders(t *testing.T) {
	cases := []struct {
		name  string
		lines string
		want  []string // name, value pairs
	}{
		{"none", "", nil},
		{"one", "Host: a\r\n", []string{"Host", "a"}},
		{"no-space", "Host:a\r\n", []string{"Host", "a"}},
		{"ows", "Host: \t a b \t \r\n", []string{"Host", "a b"}},
		{"empty-value", "X-Empty:\r\n", []string{"X-Empty", ""}},
		{"only-ows", "X-Empty:  \t \r\n", []string{"X-Empty", ""}},
		{"colon-in-value", "Host: a:80\r\n", []string{"Host", "a:80"}},
		{"tab-inside", "X-A: a\tb\r\n", []string{"X-A", "a\tb"}},
		{"obs-text", "X-A: caf\xc3\xa9 \xff\r\n", []string{"X-A", "caf\xc3\xa9 \xff"}},
		{"case-kept", "hOsT: a\r\n", []string{"hOsT", "a"}},
		{"token-chars", "!#$%&'*+-.^_`|~09azAZ: v\r\n", []string{"!#$%&'*+-.^_`|~09azAZ", "v"}},
		{"repeated", "Accept: a\r\nAccept: b\r\n", []string{"Accept", "a", "Accept", "b"}},
		{"order", "B: 1\r\nA: 2\r\nC: 3\r\n", []string{"B", "1", "A", "2", "C", "3"}},
	}
	for _, c := range cases {
		head := "GET / HTTP/1.1\r\n" + c.lines + "\r\n"
		r, n, err := parse(t, head)
		if err != nil || n != len(head) {
			t.Errorf("%s: n=%d err=%v", c.name, n, err)
			continue
		}
		var got []string
		for _, h := range r.Headers {
			got = append(got, string(h.Name), string(h.Value))
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: headers %q, want %q", c.name, got, c.want)
		}
	}
}

func TestParseLength(t *testing.T) {
	body := "4hello"
	head := "POST /socket.io/?EIO=4&transport=polling&sid=x HTTP/1.1\r\nContent-Length: 6\r\n\r\n"
	next := "GET / HTTP/1.1\r\n\r\n"
	buf := []byte(head + body + next)
	var r Request
	n, err := r.Parse(buf, 1<<16)
	if err != nil || n != len(head) {
		t.Fatalf("n=%d err=%v, want %d", n, err, len(head))
	}
	if r.ContentLength != 6 || string(buf[n:n+int(r.ContentLength)]) != body {
		t.Fatalf("ContentLength %d", r.ContentLength)
	}
	rest := buf[n+int(r.ContentLength):]
	n2, err := r.Parse(rest, 1<<16)
	if err != nil || n2 != len(next) || string(r.Method) != "GET" || r.ContentLength != -1 {
		t.Fatalf("pipelined: n=%d err=%v %+v", n2, err, r)
	}
}

func TestParseIncomplete(t *testing.T) {
	for _, head := range []string{pollingHead, upgradeHead, "GET / HTTP/1.1\r\n\r\n"} {
		for i := range len(head) {
			var r Request
			n, err := r.Parse([]byte(head[:i]), 1<<16)
			if err != ErrIncomplete || n != 0 {
				t.Fatalf("prefix %q: n=%d err=%v, want ErrIncomplete", head[:i], n, err)
			}
		}
	}
	// A head terminated by bare LFs is never complete.
	var r Request
	if _, err := r.Parse([]byte("GET / HTTP/1.1\nHost: x\n\n"), 1<<16); err != ErrIncomplete {
		t.Errorf("bare LF head: err = %v, want ErrIncomplete", err)
	}
}

func TestParseTooLarge(t *testing.T) {
	head := []byte(pollingHead)
	n := len(head)
	cases := []struct {
		buf []byte
		max int
		err error
	}{
		{head, n, nil},
		{head, n + 1, nil},
		{head, n - 1, ErrTooLarge},
		{head, 10, ErrTooLarge},
		{append(bytes.Clone(head), "body"...), n, nil},
		{head[:n-1], n - 1, ErrTooLarge}, // max bytes seen, no end yet
		{head[:n-1], n, ErrIncomplete},   // could still end in budget
		{head[:n-2], n - 1, ErrIncomplete},
		{head[:100], 100, ErrTooLarge},
		{head[:100], 99, ErrTooLarge},
		{nil, 0, ErrTooLarge},
	}
	for i, c := range cases {
		var r Request
		got, err := r.Parse(c.buf, c.max)
		if err != c.err {
			t.Errorf("case %d (len %d, max %d): err = %v, want %v", i, len(c.buf), c.max, err, c.err)
		}
		if err == nil && got != n {
			t.Errorf("case %d: n = %d, want %d", i, got, n)
		}
	}
}

func headWithHeaders(k int) string {
	var b strings.Builder
	b.WriteString("GET / HTTP/1.1\r\n")
	for i := range k {
		fmt.Fprintf(&b, "X-H%d: %d\r\n", i, i)
	}
	b.WriteString("\r\n")
	return b.String()
}

func TestTooManyHeaders(t *testing.T) {
	r, _, err := parse(t, headWithHeaders(MaxHeaders))
	if err != nil || len(r.Headers) != MaxHeaders {
		t.Fatalf("%d headers: err=%v, got %d", MaxHeaders, err, len(r.Headers))
	}
	if string(r.Headers[63].Name) != "X-H63" || string(r.Headers[63].Value) != "63" {
		t.Errorf("last header %q: %q", r.Headers[63].Name, r.Headers[63].Value)
	}
	for _, k := range []int{MaxHeaders + 1, 100} {
		if _, n, err := parse(t, headWithHeaders(k)); err != ErrTooManyHeaders || n != 0 {
			t.Errorf("%d headers: n=%d err=%v, want ErrTooManyHeaders", k, n, err)
		}
	}
	if MaxHeaders != 64 {
		t.Errorf("MaxHeaders = %d, want 64", MaxHeaders)
	}
}

func TestSmuggling(t *testing.T) {
	cases := []struct {
		name  string
		lines string
		err   error
	}{
		{"space-before-colon", "Host : x\r\n", ErrMalformed},
		{"tab-before-colon", "Host\t: x\r\n", ErrMalformed},
		{"space-before-colon-cl", "Content-Length : 5\r\n", ErrMalformed},
		{"space-before-colon-te", "Transfer-Encoding : chunked\r\n", ErrMalformed},
		{"obs-fold-space", "X-A: a\r\n b\r\n", ErrMalformed},
		{"obs-fold-tab", "X-A: a\r\n\tb\r\n", ErrMalformed},
		{"obs-fold-first", " Host: x\r\n", ErrMalformed},
		{"obs-fold-te", "Transfer-Encoding:\r\n chunked\r\n", ErrMalformed},
		{"cl-differ", "Content-Length: 5\r\nContent-Length: 6\r\n", ErrMalformed},
		{"cl-list", "Content-Length: 5, 5\r\n", ErrMalformed},
		{"cl-list-differ", "Content-Length: 5, 6\r\n", ErrMalformed},
		{"cl-negative", "Content-Length: -1\r\n", ErrMalformed},
		{"cl-plus", "Content-Length: +5\r\n", ErrMalformed},
		{"cl-hex", "Content-Length: 0x5\r\n", ErrMalformed},
		{"cl-empty", "Content-Length:\r\n", ErrMalformed},
		{"cl-space-inside", "Content-Length: 5 5\r\n", ErrMalformed},
		{"cl-19-digits", "Content-Length: 1000000000000000000\r\n", ErrMalformed},
		{"cl-te", "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", ErrMalformed},
		{"te-cl", "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", ErrMalformed},
		{"te-cl-zero", "Transfer-Encoding: chunked\r\nContent-Length: 0\r\n", ErrMalformed},
		{"te-gzip-cl", "Transfer-Encoding: gzip\r\nContent-Length: 5\r\n", ErrMalformed},
		{"cl-case-te", "content-length: 5\r\ntransfer-encoding: chunked\r\n", ErrMalformed},
		{"nul-in-value", "X-A: a\x00b\r\n", ErrMalformed},
		{"cr-in-value", "X-A: a\rb\r\n", ErrMalformed},
		{"lf-in-value", "X-A: a\nb\r\n", ErrMalformed},
		{"bare-lf-header", "X-A: a\nTransfer-Encoding: chunked\r\n", ErrMalformed},
		{"del-in-value", "X-A: a\x7f\r\n", ErrMalformed},
		{"ctl-in-value", "X-A: \x01\r\n", ErrMalformed},
		{"space-in-name", "X A: b\r\n", ErrMalformed},
		{"quote-in-name", "X\"A: b\r\n", ErrMalformed},
		{"nonascii-name", "X\xc3\xa9: b\r\n", ErrMalformed},
		{"empty-name", ": b\r\n", ErrMalformed},
		{"no-colon", "X-A b\r\n", ErrMalformed},
		{"lone-cr-line", "X-A: a\r\n\rX-B: b\r\n", ErrMalformed},
	}
	for _, c := range cases {
		head := "POST / HTTP/1.1\r\n" + c.lines + "\r\n"
		if _, n, err := parse(t, head); !errors.Is(err, c.err) || n != 0 {
			t.Errorf("%s: n=%d err=%v, want %v", c.name, n, err, c.err)
		}
	}
}

func TestContentLength(t *testing.T) {
	cases := []struct {
		lines string
		want  int64
	}{
		{"", -1},
		{"Content-Length: 0\r\n", 0},
		{"Content-Length: 6\r\n", 6},
		{"content-LENGTH:  42 \r\n", 42},
		{"Content-Length: 007\r\n", 7},
		{"Content-Length: 5\r\nContent-Length: 5\r\n", 5},
		{"Content-Length: 5\r\nContent-Length: 005\r\n", 5},
		{"Content-Length: 999999999999999999\r\n", 999999999999999999},
	}
	for _, c := range cases {
		r, _, err := parse(t, "POST / HTTP/1.1\r\n"+c.lines+"\r\n")
		if err != nil || r.ContentLength != c.want {
			t.Errorf("%q: ContentLength %d err %v, want %d", c.lines, r.ContentLength, err, c.want)
		}
	}
}

func TestTransferEncoding(t *testing.T) {
	cases := []struct {
		lines          string
		chunked, coded bool
	}{
		{"", false, false},
		{"Transfer-Encoding: chunked\r\n", true, true},
		{"transfer-encoding: Chunked\r\n", true, true},
		{"Transfer-Encoding:  chunked \r\n", true, true},
		{"Transfer-Encoding: gzip, chunked\r\n", true, true},
		{"Transfer-Encoding: gzip,chunked\r\n", true, true},
		{"Transfer-Encoding: chunked, gzip\r\n", false, true},
		{"Transfer-Encoding: gzip\r\n", false, true},
		{"Transfer-Encoding: chunked,\r\n", false, true},
		{"Transfer-Encoding: xchunked\r\n", false, true},
		{"Transfer-Encoding:\r\n", false, true},
		{"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", true, true},
		{"Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n", false, true},
	}
	for _, c := range cases {
		r, _, err := parse(t, "POST / HTTP/1.1\r\n"+c.lines+"\r\n")
		if err != nil || r.Chunked != c.chunked || r.TransferCoded != c.coded || r.ContentLength != -1 {
			t.Errorf("%q: chunked %v coded %v cl %d err %v, want chunked %v coded %v",
				c.lines, r.Chunked, r.TransferCoded, r.ContentLength, err, c.chunked, c.coded)
		}
	}
}

func TestKeepAlive(t *testing.T) {
	cases := []struct {
		version string
		lines   string
		want    bool
	}{
		{"1.1", "", true},
		{"1.1", "Connection: keep-alive\r\n", true},
		{"1.1", "Connection: close\r\n", false},
		{"1.1", "Connection: Close\r\n", false},
		{"1.1", "connection: CLOSE\r\n", false},
		{"1.1", "Connection: keep-alive, close\r\n", false},
		{"1.1", "Connection: Upgrade\r\n", true},
		{"1.1", "Connection: keep-alive, Upgrade\r\n", true},
		{"1.1", "Connection: closed\r\n", true},
		{"1.1", "Connection: upgrade\r\nConnection: close\r\n", false},
		{"1.1", "X-Connection: close\r\n", true},
		{"1.0", "", false},
		{"1.0", "Connection: keep-alive\r\n", true},
		{"1.0", "Connection: Keep-Alive\r\n", true},
		{"1.0", "Connection: close\r\n", false},
		{"1.0", "Connection: keep-alive, close\r\n", false},
		{"1.0", "Connection: keep-alive\r\nConnection: close\r\n", false},
		{"1.0", "Connection: upgrade\r\n", false},
		{"1.0", "Keep-Alive: timeout=5\r\n", false},
	}
	for _, c := range cases {
		r, _, err := parse(t, "GET / HTTP/"+c.version+"\r\n"+c.lines+"\r\n")
		if err != nil || r.KeepAlive != c.want {
			t.Errorf("HTTP/%s %q: KeepAlive %v err %v, want %v", c.version, c.lines, r.KeepAlive, err, c.want)
		}
	}
}

func TestHeaderLookup(t *testing.T) {
	r, _, err := parse(t, upgradeHead)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		want string
		ok   bool
	}{
		{"Host", "localhost:3000", true},
		{"host", "localhost:3000", true},
		{"SEC-WEBSOCKET-KEY", "dGhlIHNhbXBsZSBub25jZQ==", true},
		{"Upgrade", "websocket", true},
		{"X-Missing", "", false},
		{"Hos", "", false},
	}
	for _, c := range cases {
		v := r.Header(c.name)
		if (v != nil) != c.ok || string(v) != c.want {
			t.Errorf("Header(%q) = %q (nil %v), want %q", c.name, v, v == nil, c.want)
		}
	}
	tokens := []struct {
		name, token string
		want        bool
	}{
		{"Connection", "upgrade", true},
		{"connection", "Keep-Alive", true},
		{"Connection", "close", false},
		{"Upgrade", "websocket", true},
		{"Upgrade", "WebSocket", true},
		{"Upgrade", "web", false},
		{"Sec-WebSocket-Extensions", "permessage-deflate", true},
		{"X-Missing", "x", false},
	}
	for _, c := range tokens {
		if got := r.HasHeaderToken(c.name, c.token); got != c.want {
			t.Errorf("HasHeaderToken(%q, %q) = %v, want %v", c.name, c.token, got, c.want)
		}
	}

	// The first of repeated fields wins; tokens are searched in all of them.
	r, _, err = parse(t, "GET / HTTP/1.1\r\nX-A: 1\r\nx-a: 2\r\nX-E:\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	if v := r.Header("X-A"); string(v) != "1" {
		t.Errorf("Header(X-A) = %q, want 1", v)
	}
	if !r.HasHeaderToken("X-A", "2") {
		t.Error("HasHeaderToken does not see the second field")
	}
	if v := r.Header("X-E"); v == nil || len(v) != 0 {
		t.Errorf("Header of empty field = %q (nil %v), want empty non-nil", v, v == nil)
	}
}

// TestParseResets checks that a Request reused for a second parse keeps
// nothing of the first.
func TestParseResets(t *testing.T) {
	var r Request
	first := "POST /a?x HTTP/1.0\r\nContent-Length: 3\r\nConnection: keep-alive\r\nA: 1\r\nB: 2\r\n\r\n"
	if _, err := r.Parse([]byte(first), 1<<16); err != nil {
		t.Fatal(err)
	}
	second := "GET /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
	if _, err := r.Parse([]byte(second), 1<<16); err != nil {
		t.Fatal(err)
	}
	if string(r.Method) != "GET" || string(r.Path) != "/b" || r.Query != nil || r.Minor != 1 ||
		r.ContentLength != -1 || !r.Chunked || !r.TransferCoded || r.KeepAlive || len(r.Headers) != 2 ||
		r.Header("A") != nil {
		t.Errorf("after reuse: %+v", r)
	}
	// A failed parse does not leave the previous headers visible either.
	if _, err := r.Parse([]byte("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n"), 1<<16); err == nil {
		t.Fatal("want error")
	}
	if r.Header("Transfer-Encoding") != nil {
		t.Error("headers of the previous request survive a failed parse")
	}
}

func within(s, b []byte) bool {
	if len(s) == 0 {
		return true
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	return p >= lo && p+uintptr(len(s)) <= lo+uintptr(len(b))
}

func TestParseAliasesBuffer(t *testing.T) {
	buf := []byte(upgradeHead)
	var r Request
	n, err := r.Parse(buf, len(buf))
	if err != nil {
		t.Fatal(err)
	}
	head := buf[:n]
	for _, s := range [][]byte{r.Method, r.Target, r.Path, r.Query} {
		if !within(s, head) {
			t.Errorf("%q does not alias the buffer", s)
		}
	}
	for _, h := range r.Headers {
		if !within(h.Name, head) || !within(h.Value, head) {
			t.Errorf("header %q does not alias the buffer", h.Name)
		}
	}
	if &r.Method[0] != &buf[0] {
		t.Error("method does not start the buffer")
	}
}

// TestNetHTTPEquivalence parses valid heads with both this package and
// net/http.ReadRequest and compares what both report.
func TestNetHTTPEquivalence(t *testing.T) {
	heads := []string{
		pollingHead,
		upgradeHead,
		"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"POST /socket.io/?EIO=4&transport=polling&sid=abc HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: 6\r\n\r\n",
		"POST /socket.io/?EIO=4&transport=polling&sid=abc HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
		"GET /a/b/c?x=1&y=%20&z HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n",
		"GET /a HTTP/1.0\r\nHost: a\r\n\r\n",
		"GET /a HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
		"GET /a HTTP/1.1\r\nHost: a\r\nAccept: text/html\r\naccept: */*\r\nX-Empty:\r\nX-Ows: \t v \t\r\n\r\n",
		"DELETE /x?%41=%42 HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n",
		"OPTIONS /socket.io/ HTTP/1.1\r\nHost: a\r\nAccess-Control-Request-Method: POST\r\nOrigin: http://b\r\n\r\n",
		headWithHeaders(MaxHeaders),
	}
	for _, head := range heads {
		var r Request
		n, err := r.Parse([]byte(head), len(head))
		if err != nil || n != len(head) {
			t.Errorf("Parse(%q): n=%d err=%v", head, n, err)
			continue
		}
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(head)))
		if err != nil {
			t.Errorf("http.ReadRequest(%q): %v", head, err)
			continue
		}
		if string(r.Method) != req.Method || string(r.Target) != req.RequestURI ||
			string(r.Path) != req.URL.EscapedPath() || string(r.Query) != req.URL.RawQuery ||
			r.Minor != req.ProtoMinor || req.ProtoMajor != 1 {
			t.Errorf("%q: request line %q %q %q %q 1.%d; net/http %q %q %q %q %d.%d", head,
				r.Method, r.Target, r.Path, r.Query, r.Minor,
				req.Method, req.RequestURI, req.URL.EscapedPath(), req.URL.RawQuery, req.ProtoMajor, req.ProtoMinor)
		}
		want := http.Header{}
		for _, h := range r.Headers {
			k := textproto.CanonicalMIMEHeaderKey(string(h.Name))
			switch {
			case k == "Host", k == "Transfer-Encoding":
				continue // net/http moves them to req.Host and req.TransferEncoding
			case k == "Content-Length" && len(want[k]) > 0:
				continue // net/http keeps one of identical values
			}
			want[k] = append(want[k], string(h.Value))
		}
		if !reflect.DeepEqual(want, req.Header) {
			t.Errorf("%q: headers\n%v\nnet/http\n%v", head, want, req.Header)
		}
		if string(r.Header("Host")) != req.Host {
			t.Errorf("%q: Host %q, net/http %q", head, r.Header("Host"), req.Host)
		}
		wantCL := r.ContentLength
		if wantCL < 0 && !r.Chunked {
			wantCL = 0 // net/http reports a request without a body as 0
		}
		if wantCL != req.ContentLength {
			t.Errorf("%q: ContentLength %d, net/http %d", head, r.ContentLength, req.ContentLength)
		}
		chunked := len(req.TransferEncoding) > 0 && req.TransferEncoding[len(req.TransferEncoding)-1] == "chunked"
		if r.Chunked != chunked {
			t.Errorf("%q: Chunked %v, net/http %v", head, r.Chunked, req.TransferEncoding)
		}
		if r.KeepAlive == req.Close {
			t.Errorf("%q: KeepAlive %v, net/http Close %v", head, r.KeepAlive, req.Close)
		}
	}
}

func TestErrorsDistinct(t *testing.T) {
	errs := []error{ErrIncomplete, ErrTooLarge, ErrTooManyHeaders, ErrMalformed, ErrVersion}
	for i, a := range errs {
		for j, b := range errs {
			if (i == j) != errors.Is(a, b) {
				t.Errorf("errors.Is(%v, %v) = %v", a, b, errors.Is(a, b))
			}
		}
	}
}
