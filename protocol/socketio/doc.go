// Package socketio implements the Socket.IO v5 packet format as pure functions over byte slices.
//
// The package has no connection state and does no I/O, so an engine can decode
// packets straight out of its read buffers and encode them into its write
// buffers. It follows the wire format of socket.io-parser 4.x:
//
//	<type>[<attachments>-][<namespace>,][<ack id>][<JSON payload>]
//
// Binary attachments travel as separate Engine.IO binary messages after the
// packet; in the JSON payload each one is replaced by
// {"_placeholder":true,"num":<index>}.
//
// Decoding is strict because input comes from untrusted peers: every malformed
// packet yields an error wrapping [ErrParse], work is linear in the input and
// JSON nesting is bounded by [MaxDepth]. The hot paths ([Decode],
// [Packet.EventBytes], [Args.Each], [AppendEvent], [AppendAck]) do not allocate.
//
// Slices returned by the decoding functions alias their input unless documented
// otherwise; the caller must copy anything it keeps after reusing the buffer.
package socketio
