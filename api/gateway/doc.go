// Package gateway assembles a Herald node: the Socket.IO server browsers
// connect to, authentication of their connections, room rights, built-in
// room operations, forwarding of client events to the backend, lifecycle
// webhooks, limits, and the operator-facing HTTP server (health, metrics,
// push API).
//
// It uses the engine package through its exported API only, the same API a
// library user has.
package gateway
