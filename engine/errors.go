package engine

import (
	"errors"
	"fmt"
)

// Disconnect reasons, worded exactly as the reference server words them.
const (
	ReasonTransportClose            = "transport close"
	ReasonTransportError            = "transport error"
	ReasonPingTimeout               = "ping timeout"
	ReasonParseError                = "parse error"
	ReasonServerNamespaceDisconnect = "server namespace disconnect"
	ReasonClientNamespaceDisconnect = "client namespace disconnect"
	ReasonServerShuttingDown        = "server shutting down"
	ReasonForcedClose               = "forced close"
	ReasonForcedServerClose         = "forced server close"
)

var (
	// ErrReservedEvent refuses to emit an event name the client reserves.
	ErrReservedEvent = errors.New("engine: reserved event name")
	// ErrDisconnected fails an ack whose socket disconnected first.
	ErrDisconnected = errors.New("engine: socket disconnected")
	// ErrAckTimeout fails an ack that did not come in time.
	ErrAckTimeout = errors.New("engine: operation has timed out")
	// ErrAlreadyAcked refuses a second ack to one event.
	ErrAlreadyAcked = errors.New("engine: event already acknowledged")
	// ErrNoAck refuses to ack an event the client sent without an ack id.
	ErrNoAck = errors.New("engine: the client did not ask for an ack")
)

// ConnectError refuses a connection from namespace middleware. The client
// receives Message and Data in its connect_error event.
type ConnectError struct {
	Message string
	Data    any
}

func (e *ConnectError) Error() string { return e.Message }

// NewConnectError returns a ConnectError with data for the client.
func NewConnectError(message string, data any) *ConnectError {
	return &ConnectError{Message: message, Data: data}
}

// AckTimeoutError fails a broadcast ack collection that timed out; it holds
// the answers that did arrive.
type AckTimeoutError struct {
	Expected  int
	Responses []Args
	// Dropped counts answers that came but were not kept, over
	// Config.MaxAckBytes.
	Dropped int
}

func (e *AckTimeoutError) Error() string {
	return fmt.Sprintf("engine: operation has timed out (%d of %d acks)", len(e.Responses)+e.Dropped, e.Expected)
}

// ErrAckLimit is matched by every *AckLimitError.
var ErrAckLimit = errors.New("engine: acknowledgements over the size limit")

// AckLimitError is the error of a broadcast with acks whose recipients all
// answered, but whose answers added up to more than Config.MaxAckBytes:
// Responses holds those that fit, Dropped counts the others.
type AckLimitError struct {
	Expected  int
	Responses []Args
	Dropped   int
}

func (e *AckLimitError) Error() string {
	return fmt.Sprintf("engine: %d of %d acks dropped over the size limit", e.Dropped, e.Expected)
}

// Unwrap makes errors.Is(err, ErrAckLimit) true.
func (e *AckLimitError) Unwrap() error { return ErrAckLimit }

// Unwrap makes errors.Is(err, ErrAckTimeout) true.
func (e *AckTimeoutError) Unwrap() error { return ErrAckTimeout }
