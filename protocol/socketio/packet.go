package socketio

import (
	"strconv"
	"unicode/utf8"
)

// Type is the packet type, the first character of every encoded packet.
type Type byte

// Packet types of protocol v5, numbered as on the wire.
const (
	Connect      Type = 0 // Connect opens a namespace (or accepts the request).
	Disconnect   Type = 1 // Disconnect leaves a namespace.
	Event        Type = 2 // Event carries an event name and its arguments.
	Ack          Type = 3 // Ack answers an Event that carried an ack id.
	ConnectError Type = 4 // ConnectError refuses a Connect.
	BinaryEvent  Type = 5 // BinaryEvent is an Event followed by binary attachments.
	BinaryAck    Type = 6 // BinaryAck is an Ack followed by binary attachments.
)

// DefaultMaxAttachments mirrors socket.io-parser's default bound on the number
// of binary attachments a single packet may announce.
const DefaultMaxAttachments = 10

// MaxAckID is the largest ack id accepted, Number.MAX_SAFE_INTEGER, so that
// every id round-trips through a JavaScript peer unchanged.
const MaxAckID = 1<<53 - 1

var typeNames = [...]string{
	Connect:      "CONNECT",
	Disconnect:   "DISCONNECT",
	Event:        "EVENT",
	Ack:          "ACK",
	ConnectError: "CONNECT_ERROR",
	BinaryEvent:  "BINARY_EVENT",
	BinaryAck:    "BINARY_ACK",
}

// String returns the name used by the protocol document, for logs.
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// Valid reports whether t is one of the seven protocol types.
func (t Type) Valid() bool { return t <= BinaryAck }

// IsBinary reports whether packets of type t are followed by attachments.
func (t Type) IsBinary() bool { return t == BinaryEvent || t == BinaryAck }

// Packet is a decoded Socket.IO packet. Its slices alias the decoded input.
type Packet struct {
	Type Type

	// Namespace is the namespace the packet addresses. It is the shared
	// RootNamespace slice when the packet names none; never modify it.
	Namespace []byte

	// ID is the ack id, meaningful only when HasID is set.
	ID    uint64
	HasID bool

	// Attachments is the number of binary attachments that follow a
	// BinaryEvent or BinaryAck; it is zero for other types.
	Attachments int

	// Data is the raw JSON payload with surrounding whitespace removed, or
	// nil when the packet has none. Decode has validated it.
	Data []byte
}

// RootNamespace is the main namespace "/". Decode points Packet.Namespace at it
// when a packet names no namespace, so that case costs no allocation. It must
// not be modified.
var RootNamespace = []byte{'/'}

// reservedEvents are the names socket.io-parser refuses in EVENT packets,
// because the JavaScript APIs give them a special meaning.
var reservedEvents = [...]string{
	"connect",
	"connect_error",
	"disconnect",
	"disconnecting",
	"newListener",
	"removeListener",
}

// maxReservedLen is the length of the longest reserved name.
const maxReservedLen = len("removeListener")

// IsReserved reports whether name is an event name peers refuse to receive
// (connect, connect_error, disconnect, disconnecting, newListener,
// removeListener). Callers of AppendEvent must check it themselves.
func IsReserved(name string) bool {
	return isReservedBytes([]byte(name))
}

func isReservedBytes(name []byte) bool {
	if len(name) > maxReservedLen {
		return false
	}
	for _, r := range reservedEvents {
		if string(name) == r {
			return true
		}
	}
	return false
}

// ValidateNamespace reports whether nsp can be encoded and decoded back: it
// must be empty or start with '/', and contain no ',' (the wire delimiter),
// no control characters and only valid UTF-8. The empty string means "/".
func ValidateNamespace(nsp string) error {
	if nsp == "" {
		return nil
	}
	if nsp[0] != '/' || !validNamespaceBody(nsp[1:]) || !utf8.ValidString(nsp) {
		return ErrNamespace
	}
	return nil
}

// validNamespaceBody checks the bytes after the leading '/' for the
// delimiter and control characters; UTF-8 validity is checked separately.
func validNamespaceBody[S string | []byte](s S) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c == ',' {
			return false
		}
	}
	return true
}
