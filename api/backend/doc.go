// Package backend carries client events to the application's backend over
// HTTP, and lifecycle webhooks.
//
// Herald keeps the sockets; the backend, in any language, keeps the
// application. Three flows connect them: a Forwarder POSTs selected client
// events and turns the answer into the Socket.IO acknowledgement, a
// ConnectHook asks the backend who a connecting client is, and Webhooks
// tell it, in the background, that sockets came and went.
//
// # Events
//
// Forward POSTs, with Content-Type: application/json and X-Herald-Event:
// <event name, percent-encoded outside RFC 3986 unreserved characters,
// sub-delims, ':', '@' and '/'>:
//
//	{"socket_id":"…","user_id":"…","namespace":"/chat","event":"message",
//	 "args":[…],"attachments":["<base64>",…],"ack":true}
//
// "user_id" is "" for an anonymous socket. "args" is the event's argument
// array as the client sent it, binary attachments left as
// {"_placeholder":true,"num":i}; "attachments" holds them, standard base64
// with padding, and is omitted when there are none. "ack" says whether the
// client waits for the answer; the request is made either way.
//
// A 2xx answer is the acknowledgement: its body, any JSON value, or empty
// (204). A 4xx answer may carry {"message":"…","data":…} for the client.
//
// # Errors
//
// Every failure is an *Error with a stable Code: backend_status (non-2xx;
// Status set), backend_timeout, backend_unavailable (breaker open,
// connection refused or dropped), backend_busy (not sent: the in-flight
// bound stayed full until the caller's context ended) and backend_invalid
// (a 2xx body that is not JSON or not the expected shape, or one larger
// than the bound). The client receives it as an error acknowledgement,
// from Error.AckPayload:
//
//	{"error":{"code":"backend_status","message":"…","status":404,"data":…}}
//
// "status" is present when the backend answered, "data" when a 4xx answer
// carried one. "message" is the 4xx answer's message or a fixed text;
// causes such as dial errors, which may name internal addresses, stay in
// Error.Err for logs.
//
// A circuit breaker stands in front of the backend: after
// BreakerConfig.Failures consecutive timeouts, connection failures or 5xx
// answers it fails every call at once with backend_unavailable for
// Cooldown, then lets one trial request through, whose outcome closes or
// reopens it. A 4xx answer, or a malformed 2xx one, proves the backend is
// alive and counts as a success.
//
// # Connect hook
//
// Authorize POSTs:
//
//	{"namespace":"/chat","auth":{…}|null,"query":{"k":["v",…]},
//	 "headers":{"Origin":["…"],…},"address":"203.0.113.7:51234"}
//
// "headers" holds only Origin, User-Agent, Cookie, Authorization,
// X-Forwarded-For and ConnectHookConfig.ForwardHeaders, canonically
// spelled. The backend answers:
//
//   - 2xx {"user_id":"u1","rooms":[…],"join":[…],"publish":[…],"data":{…}}:
//     a Grant. user_id (a non-empty string, or an integer) is required;
//     the rest is optional, and unknown members are ignored.
//   - 401 or 403 {"message":"…","data":…}: a *Refusal, which the client
//     should receive as its connect_error; the body is optional.
//   - anything else, or nothing in time: an *Error, as for events.
//
// # Webhooks
//
// Send queues a hook; workers POST it:
//
//	{"id":"…","type":"connect"|"disconnect","time":"2006-01-02T15:04:05.999999999Z",
//	 "socket_id":"…","user_id":"…","namespace":"/chat","reason":"…","data":{…}}
//
// "reason" and "data" are omitted when empty. Headers: Content-Type:
// application/json, X-Herald-Delivery: <id>, X-Herald-Hook: <type>,
// X-Herald-Attempt: <n, from 1> and, with a secret, X-Herald-Signature:
// t=<unix seconds>,v1=<hex HMAC-SHA256 over "<t>.<body>">, made afresh
// for every attempt (VerifySignature checks it). Delivery is at least
// once: any answer but a 2xx, or none, is retried with backoff until
// MaxAttempts, so receivers should deduplicate on the id. Hooks may
// arrive out of order; "time" orders them.
package backend
