package socketio

import (
	"bytes"
	"strconv"
)

// AppendHeader appends the packet prefix: the type, the attachment count and
// '-' for binary types (attachments is ignored for others), the namespace
// followed by ',' unless it is "" or "/", and the ack id when hasID is set.
// The caller appends the JSON payload, if any. nsp must pass
// ValidateNamespace; AppendHeader does not check it, so that it never
// allocates or fails.
func AppendHeader(dst []byte, t Type, nsp string, attachments int, id uint64, hasID bool) []byte {
	dst = append(dst, '0'+byte(t))
	if t.IsBinary() {
		dst = strconv.AppendInt(dst, int64(attachments), 10)
		dst = append(dst, '-')
	}
	if nsp != "" && nsp != "/" {
		dst = append(dst, nsp...)
		dst = append(dst, ',')
	}
	if hasID {
		dst = strconv.AppendUint(dst, id, 10)
	}
	return dst
}

// AppendEvent appends the EVENT packet 2[nsp,][id]["name",args...]. args is
// trusted raw JSON (see Args); name is escaped. The caller must not pass a
// reserved name (see IsReserved), which peers drop, nor an invalid nsp.
// It does not allocate beyond growing dst.
func AppendEvent(dst []byte, nsp string, id uint64, hasID bool, name string, args Args) []byte {
	return AppendBinaryEvent(dst, nsp, 0, id, hasID, name, args)
}

// AppendBinaryEvent is AppendEvent for arguments containing attachment
// placeholders; it writes a BINARY_EVENT header when attachments > 0.
func AppendBinaryEvent(dst []byte, nsp string, attachments int, id uint64, hasID bool, name string, args Args) []byte {
	t := Event
	if attachments > 0 {
		t = BinaryEvent
	}
	dst = AppendHeader(dst, t, nsp, attachments, id, hasID)
	dst = append(dst, '[')
	dst = AppendQuoted(dst, name)
	if len(args) > 0 {
		dst = append(dst, ',')
		dst = append(dst, args...)
	}
	return append(dst, ']')
}

// AppendAck appends the ACK packet 3[nsp,]id[args...] answering ack id.
// args is trusted raw JSON. It does not allocate beyond growing dst.
func AppendAck(dst []byte, nsp string, id uint64, args Args) []byte {
	return AppendBinaryAck(dst, nsp, 0, id, args)
}

// AppendBinaryAck is AppendAck for arguments containing attachment
// placeholders; it writes a BINARY_ACK header when attachments > 0.
func AppendBinaryAck(dst []byte, nsp string, attachments int, id uint64, args Args) []byte {
	t := Ack
	if attachments > 0 {
		t = BinaryAck
	}
	dst = AppendHeader(dst, t, nsp, attachments, id, true)
	dst = append(dst, '[')
	dst = append(dst, args...)
	return append(dst, ']')
}

// EncodeEvent encodes an event whose arguments are Go values (see
// EncodeArgs). When the arguments contain []byte values the packet becomes a
// BINARY_EVENT and attachments holds them, in placeholder order, to be sent
// as binary messages after text. Reserved names and invalid namespaces are
// refused, as socket.io-parser does.
//
// text is freshly allocated, exactly sized and owned by the caller;
// attachments alias the caller's []byte values, which must not change until
// they are sent.
func EncodeEvent(nsp string, id uint64, hasID bool, name string, args []any) (text []byte, attachments [][]byte, err error) {
	if IsReserved(name) {
		return nil, nil, ErrReservedEvent
	}
	if err := ValidateNamespace(nsp); err != nil {
		return nil, nil, err
	}
	bp := getScratch()
	defer putScratch(bp)
	b := AppendHeader(*bp, Event, nsp, 0, id, hasID)
	b = append(b, '[')
	b = AppendQuoted(b, name)
	if len(args) > 0 {
		b = append(b, ',')
		b, attachments, err = EncodeArgs(b, args)
		*bp = b
		if err != nil {
			return nil, nil, err
		}
	}
	b = append(b, ']')
	*bp = b
	return finish(b, BinaryEvent, attachments), attachments, nil
}

// EncodeAck encodes the ACK answering ack id with Go values as arguments,
// turning it into a BINARY_ACK when they contain []byte values. Ownership is
// as for EncodeEvent.
func EncodeAck(nsp string, id uint64, args []any) (text []byte, attachments [][]byte, err error) {
	if err := ValidateNamespace(nsp); err != nil {
		return nil, nil, err
	}
	bp := getScratch()
	defer putScratch(bp)
	b := AppendHeader(*bp, Ack, nsp, 0, id, true)
	b = append(b, '[')
	b, attachments, err = EncodeArgs(b, args)
	*bp = b
	if err != nil {
		return nil, nil, err
	}
	b = append(b, ']')
	*bp = b
	return finish(b, BinaryAck, attachments), attachments, nil
}

// finish copies an EVENT or ACK built in a scratch buffer into an exactly
// sized result, which is the only allocation EncodeEvent and EncodeAck make
// themselves. With attachments the packet becomes binary type t: the
// attachment count is known only once the arguments are encoded, so it is
// inserted after the type digit here.
func finish(b []byte, t Type, attachments [][]byte) []byte {
	if len(attachments) == 0 {
		return bytes.Clone(b)
	}
	var tmp [20]byte
	count := append(strconv.AppendInt(tmp[:0], int64(len(attachments)), 10), '-')
	text := make([]byte, 0, len(b)+len(count))
	text = append(text, '0'+byte(t))
	text = append(text, count...)
	return append(text, b[1:]...)
}
