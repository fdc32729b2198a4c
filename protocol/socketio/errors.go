package socketio

import "errors"

// ErrParse is wrapped by every error that reports a malformed packet, so an
// engine can decide to drop the peer with a single errors.Is check.
var ErrParse = errors.New("socketio: malformed packet")

// ErrNamespace reports a namespace that cannot be represented on the wire.
// Decode wraps it together with ErrParse; encoders return it as is.
var ErrNamespace = errors.New("socketio: invalid namespace")

// ErrReservedEvent reports an event name that peers refuse (see IsReserved).
// Decode wraps it together with ErrPayload; EncodeEvent returns it as is.
var ErrReservedEvent = errors.New("socketio: reserved event name")

// ErrWrongType reports a Packet accessor used on a packet of another type.
var ErrWrongType = errors.New("socketio: wrong packet type for accessor")

// parseError is a malformed-input error. It unwraps to ErrParse plus an
// optional more general cause, and being a pointer to a static value it
// costs nothing to return.
type parseError struct {
	msg    string
	causes []error
}

func (e *parseError) Error() string   { return e.msg }
func (e *parseError) Unwrap() []error { return e.causes }

func newParseError(msg string, also ...error) error {
	return &parseError{msg: msg, causes: append([]error{ErrParse}, also...)}
}

// Malformed-packet errors. Each wraps ErrParse; the comments say which input
// produces them.
var (
	// ErrEmpty: the packet has no bytes at all.
	ErrEmpty = newParseError("socketio: empty packet")
	// ErrUnknownType: the first byte is not '0'..'6'.
	ErrUnknownType = newParseError("socketio: unknown packet type")
	// ErrAttachmentCount: a binary packet lacks a positive decimal count
	// followed by '-'.
	ErrAttachmentCount = newParseError("socketio: illegal attachments")
	// ErrTooManyAttachments: the count exceeds the caller's bound.
	ErrTooManyAttachments = newParseError("socketio: too many attachments")
	// ErrAckID: the ack id exceeds MaxAckID.
	ErrAckID = newParseError("socketio: invalid ack id")
	// ErrMissingAckID: an ACK or BINARY_ACK without an ack id.
	ErrMissingAckID = newParseError("socketio: ack without ack id", ErrAckID)
	// ErrUnexpectedAckID: an ack id on a packet type that cannot carry one.
	ErrUnexpectedAckID = newParseError("socketio: unexpected ack id", ErrAckID)
	// ErrJSON: the payload is not valid JSON (RFC 8259, UTF-8), including
	// trailing garbage after the value.
	ErrJSON = newParseError("socketio: invalid JSON")
	// ErrTooDeep: JSON nesting exceeds MaxDepth.
	ErrTooDeep = newParseError("socketio: JSON nested too deep", ErrJSON)
	// ErrPayload: valid JSON of the wrong shape for the packet type.
	ErrPayload = newParseError("socketio: invalid payload")
	// ErrPlaceholder: a binary placeholder with a missing, non-integer,
	// out-of-range or repeated num.
	ErrPlaceholder = newParseError("socketio: illegal attachments: bad placeholder")
	// ErrUnexpectedBinary: an attachment arrived while none was expected.
	ErrUnexpectedBinary = newParseError("socketio: unexpected binary attachment")

	errBadNamespace = newParseError("socketio: invalid namespace", ErrNamespace)
	errReserved     = newParseError("socketio: invalid payload: reserved event name", ErrPayload, ErrReservedEvent)
)
