package loadtest

import "context"

// transport opens client connections of one kind.
type transport interface {
	// dial opens one connection and starts its handshake, which goes on
	// asynchronously: the session reports readiness through the run's
	// counters. It blocks only for the TCP connect (websocket) or the
	// Engine.IO handshake request (polling).
	dial(ctx context.Context, rl role) (conn, error)
	// stop closes every connection and releases the transport.
	stop() error
}

// conn is one client connection.
type conn interface {
	// exec runs f in the connection's context, serialised with its packet
	// handling, unless the connection is closing.
	exec(f func(s *session, o out) error) error
	// shutdown closes the connection from any goroutine.
	shutdown()
}

func (r *run) newTransport() (transport, error) {
	if r.cfg.Transport == TransportPolling {
		return newPollingTransport(r), nil
	}
	return newWSTransport(r)
}
