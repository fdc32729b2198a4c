// Package eio is Herald's Engine.IO v4 server on gnet event loops.
//
// A Reactor owns the listening socket and one event loop per core. It
// parses HTTP/1.1 and WebSocket traffic in place from each connection's
// inbound buffer and routes requests by path to the Servers mounted on it.
// A Server runs Engine.IO sessions over long-polling, WebSocket, and the
// upgrade from one to the other, and hands their messages to its Handler.
//
// There is no goroutine per connection or per session. Everything a loop
// owns (its connections, the sessions homed on it, their heartbeat timers
// on the loop's timing wheel) is touched only by that loop; other
// goroutines reach it through Loop.Post or Session.Send, which queue work
// in the loop's mailbox. Output queued during one callback is written with
// one writev per connection at its end, and each connection's unsent output
// is bounded: a peer that stops reading is closed as a slow consumer.
//
// A Message is encoded once and shared: the layer above builds one per
// broadcast and hands the same bytes to every recipient.
package eio
