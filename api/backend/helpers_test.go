package backend

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// recorded is one request a test server received.
type recorded struct {
	Header http.Header
	Body   []byte
	At     time.Time
}

// server is an httptest server that records requests and answers with
// handle (200 {} when nil).
type server struct {
	*httptest.Server
	hits   atomic.Int64
	mu     sync.Mutex
	reqs   []recorded
	handle func(w http.ResponseWriter, r *http.Request, n int64)
}

// newServer starts a server; configure, if any, runs before it starts.
func newServer(t testing.TB, handle func(w http.ResponseWriter, r *http.Request, n int64), configure ...func(*http.Server)) *server {
	t.Helper()
	s := &server{handle: handle}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		n := s.hits.Add(1)
		s.mu.Lock()
		s.reqs = append(s.reqs, recorded{Header: r.Header.Clone(), Body: body, At: time.Now()})
		s.mu.Unlock()
		if s.handle == nil {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, "{}")
			return
		}
		s.handle(w, r, n)
	}))
	for _, c := range configure {
		c(s.Config)
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func (s *server) requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.reqs...)
}

// reply answers with status and body, as JSON.
func reply(status int, body string) func(http.ResponseWriter, *http.Request, int64) {
	return func(w http.ResponseWriter, _ *http.Request, _ int64) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// closedURL is an http URL on which nothing listens.
func closedURL(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + "/"
}

// code returns the Code of err, which must be an *Error.
func code(t testing.TB, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	return e
}

// eventually polls cond until it holds or a few seconds pass.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
