// Package push is Herald's push API: how a backend in any language talks
// to a node over HTTP. It serves, under /v1 on the operator port, emits to
// rooms, users, sockets or whole namespaces (alone or in batches, with
// optional acknowledgements and binary data), room membership changes,
// disconnects with a reason the client sees, queries of sockets, rooms,
// users and counters, and its own OpenAPI 3.1 document.
//
// Requests carry an API key with a scope (emit, read, admin), optionally
// an HMAC signature that cannot be replayed, and are rate limited per key.
// Every error is an RFC 9457 problem document naming the offending field.
// README.md documents the endpoints and their shapes.
//
// The emit path is built for volume: the body is validated in place, the
// event data is copied once, into the packet, and the engine encodes that
// packet once for every recipient.
//
// Wiring, in a main:
//
//	api, err := push.New(cfg.API)
//	g, err := gateway.New(cfg, gateway.WithRoutes(api.Route()))
//	api.Bind(g)
package push
