package engine

// Regression tests: each failed against an earlier version of this package
// and asserts what the package documents or what the reference server
// (socket.io 4.8) does.

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/heraldrt/herald/engine/eio"
)

// TestRegression_ShutdownLosesOnDisconnect: when a socket has OnDisconnecting
// listeners, Socket.close runs them on a worker and then posts the
// cleanup (leaving rooms, removing the socket, queueing the OnDisconnect
// listeners) back to the event loop. At Shutdown the reactor stops its
// loops right after the sessions close, without waiting for the workers,
// so the posted cleanup is dropped: OnDisconnect never runs and the socket
// stays in its namespace.
func TestRegression_ShutdownLosesOnDisconnect(t *testing.T) {
	ts := listenServer(t, Config{})
	srv := ts.io
	ch := socketsOf(srv.Of("/"))
	_, s := ts.wsConnect("/", ch)
	got := make(chan string, 2)
	s.OnDisconnecting(func(string) {
		time.Sleep(100 * time.Millisecond) // some real work, such as saving state
		got <- "disconnecting"
	})
	s.OnDisconnect(func(string) { got <- "disconnect" })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
	for _, want := range []string{"disconnecting", "disconnect"} {
		select {
		case v := <-got:
			if v != want {
				t.Fatalf("got %q, want %q", v, want)
			}
		case <-time.After(time.Second):
			t.Fatalf("%s listener never ran (socket still counted: %d)", want, srv.Of("/").SocketCount())
		}
	}
}

// TestRegression_ShutdownIgnoresContext: Shutdown(ctx) promises to drain "until
// ctx is done", but after stopping the reactor it waits without bound for
// the worker pool (workers.stop waits for every worker), so one handler
// that blocks makes Shutdown hang forever, whatever ctx says.
func TestRegression_ShutdownIgnoresContext(t *testing.T) {
	ts := listenServer(t, Config{})
	srv := ts.io
	release := make(chan struct{})
	entered := make(chan struct{})
	srv.Of("/").On("block", func(*Event) { close(entered); <-release })
	c := ts.ws()
	c.connect("/")
	c.send(`42["block"]`)
	recv(t, entered, "blocking handler")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(ctx) }()
	defer func() {
		close(release)
		<-done
	}()
	select {
	case <-done:
		done <- nil // for the deferred receive
	case <-time.After(2 * time.Second):
		t.Fatal("Shutdown with a 200 ms context has not returned after 2 s: it waits for a blocked handler")
	}
}

// TestRegression_ConnectErrorKeyOrder: a middleware refusal with data is sent as
// 44{"data":...,"message":...} because connectErrorJSON encodes a
// map[string]any (keys sorted). The reference sends
// {"message":...,"data":...} (JSON.stringify of {message, data}), as the
// package's own documentation of the wire format does.
func TestRegression_ConnectErrorKeyOrder(t *testing.T) {
	ts := startServer(t, Config{})
	ts.io.Of("/mw").Use(func(*Socket) error {
		return NewConnectError("not authorized", map[string]any{"code": 42})
	})
	c := ts.ws()
	c.send("40/mw,")
	c.expectText(`44/mw,{"message":"not authorized","data":{"code":42}}`)
}

// TestRegression_OnNewNamespaceSkipsStatic: OnNewNamespace is documented to run
// "when a namespace is created, dynamic children included", and the
// reference emits new_namespace for io.of("/static") too, but Server.Of
// never calls the listeners.
func TestRegression_OnNewNamespaceSkipsStatic(t *testing.T) {
	ts := startServer(t, Config{})
	got := make(chan string, 4)
	ts.io.OnNewNamespace(func(ns *Namespace) { got <- ns.Name() })
	ts.io.Of("/static")
	ts.io.Of("/static") // the second call creates nothing
	select {
	case name := <-got:
		if name != "/static" {
			t.Fatalf("OnNewNamespace(%q)", name)
		}
	case <-time.After(time.Second):
		t.Fatal("OnNewNamespace was not called for Of(\"/static\")")
	}
	noRecv(t, got, 50*time.Millisecond, "second OnNewNamespace")
}

// TestRegression_VolatileAckNeverCalled: a volatile emit with an AckFunc that is
// dropped (the connection cannot take it) returns before registering the
// ack, so the AckFunc is never called: not with an answer, not with
// ErrAckTimeout even though a Timeout was set, not with ErrDisconnected.
// The reference registers the ack (and its timer) before the packet is
// dropped, so the callback gets the timeout error.
func TestRegression_VolatileAckNeverCalled(t *testing.T) {
	ts := startServer(t, Config{})
	ch := socketsOf(ts.io.Of("/"))
	_, s := ts.pollConnect("/", ch) // no GET pending: volatile packets are dropped
	errs := make(chan error, 1)
	if err := s.Volatile().Timeout(100*time.Millisecond).Emit("x", AckFunc(func(_ Args, err error) { errs <- err })); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errs:
		if !errors.Is(err, ErrAckTimeout) {
			t.Fatalf("ack error %v, want ErrAckTimeout", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the AckFunc of a dropped volatile emit was never called")
	}
}

// expectAckTableEmpty waits a little for the socket's ack table to empty.
func expectAckTableEmpty(t *testing.T, s *Socket) {
	t.Helper()
	deadline := time.Now().Add(500 * time.Millisecond)
	n := ackTableSize(s)
	for n != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		n = ackTableSize(s)
	}
	if n != 0 {
		t.Fatalf("%d acks still pending in the socket's table", n)
	}
}

// ackTableSize reads the socket's ack table on its home loop.
func ackTableSize(s *Socket) int {
	ch := make(chan int, 1)
	s.sess.Loop().Post(eio.TaskFunc(func(*eio.Loop) { ch <- len(s.acks) }))
	select {
	case n := <-ch:
		return n
	case <-time.After(tWait):
		return -1
	}
}

// TestRegression_EmitWithAckContextLeak: Socket.EmitWithAck without a Timeout
// that returns because its context ended leaves its pending ack in the
// socket's ack table until the socket disconnects, so a long-lived socket
// whose client does not answer grows the table with every call.
func TestRegression_EmitWithAckContextLeak(t *testing.T) {
	ts := startServer(t, Config{})
	ch := socketsOf(ts.io.Of("/"))
	_, s := ts.wsConnect("/", ch)
	for range 10 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
		if _, err := s.EmitWithAck(ctx, "q"); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("EmitWithAck: %v", err)
		}
		cancel()
	}
	expectAckTableEmpty(t, s)
}

// TestRegression_BroadcastAckEntriesLeak: BroadcastOperator.EmitWithAck registers
// an ack on every recipient with no timer; when a recipient never answers,
// the entry stays in its ack table after the collector has given up (and
// after its context ended), until the socket disconnects. The reference
// leaks the same way, but a server that broadcasts with acks to
// long-lived clients that sometimes do not answer grows without bound.
func TestRegression_BroadcastAckEntriesLeak(t *testing.T) {
	ts := startServer(t, Config{})
	ch := socketsOf(ts.io.Of("/"))
	_, s := ts.wsConnect("/", ch)
	for range 5 {
		_, err := ts.io.Of("/").Except().Timeout(5*time.Millisecond).EmitWithAck(context.Background(), "b")
		if !errors.Is(err, ErrAckTimeout) {
			t.Fatalf("EmitWithAck: %v", err)
		}
	}
	expectAckTableEmpty(t, s)
}

// TestRegression_BroadcastEmitWithAckCancelIsTimeout: when the context of a
// broadcast EmitWithAck ends, AckCollector.Wait reports an
// *AckTimeoutError (errors.Is ErrAckTimeout), so callers cannot tell their
// own cancellation from the operation's timeout; Socket.EmitWithAck
// returns ctx.Err() in the same situation.
func TestRegression_BroadcastEmitWithAckCancelIsTimeout(t *testing.T) {
	ts := startServer(t, Config{})
	ch := socketsOf(ts.io.Of("/"))
	ts.wsConnect("/", ch)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := ts.io.Of("/").Except().EmitWithAck(ctx, "q")
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrAckTimeout) {
		t.Fatalf("EmitWithAck after its context ended: %v (%T), want context.DeadlineExceeded", err, err)
	}
}
