// Package engine is Herald's Socket.IO v5 server: namespaces, sockets,
// rooms, acknowledgements, middleware and broadcasts, running on the
// Engine.IO reactor of package eio.
//
// # Concurrency
//
// Every socket lives on one event loop, its home. Packets from the client
// are parsed there, room membership is indexed there, and broadcasts reach
// the socket through one delivery task per loop, so the hot paths take no
// lock. Every method of Server, Namespace, Socket and BroadcastOperator is
// safe to call from any goroutine: work for a loop is queued to it.
//
// Handlers (connection handlers, middleware, event handlers) run on a
// bounded pool of worker goroutines, never on an event loop, so a handler
// may block. Each socket's handlers run one at a time and in the order the
// packets arrived. Config.InlineHandlers runs them on the event loop
// instead: cheaper, but a handler that blocks stalls every connection of
// its loop, and it must not wait for anything the loops do (such as
// EmitWithAck or FetchSockets).
//
// # Broadcasts
//
// A broadcast is encoded once into an immutable Engine.IO message. Each
// loop then gets one task that looks its members up in its own room index
// and queues the shared bytes on their connections; each connection is
// flushed with one writev per loop turn.
package engine
