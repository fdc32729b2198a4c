package loadtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// payloadOverhead is the size of a bench payload without its padding: a
// 19-digit Unix-nanosecond time in {"t":…,"p":""}.
const payloadOverhead = len(`{"t":`) + 19 + len(`,"p":""}`)

// packets holds the fixed parts of the packets a run sends, built once so
// that sending costs appends only.
type packets struct {
	pad        []byte // padding of the payload's "p"
	join       []byte // Engine.IO message: join the room with ack id 0
	publishPre []byte // Engine.IO message up to the payload: publish to the room
	pushPre    []byte // /broadcast body up to the payload
}

func newPackets(room string, payloadSize int) (*packets, error) {
	q, err := json.Marshal(room)
	if err != nil {
		return nil, fmt.Errorf("quote room: %w", err)
	}
	p := &packets{pad: bytes.Repeat([]byte{'x'}, max(payloadSize-payloadOverhead, 0))}
	p.join = fmt.Appendf(nil, `420["join",%s]`, q)
	p.publishPre = fmt.Appendf(nil, `42["publish",%s,`, q)
	p.pushPre = fmt.Appendf(nil, `{"room":%s,"event":"msg","data":`, q)
	return p, nil
}

// appendPayload appends the bench payload {"t": sent, "p": padding}.
func (p *packets) appendPayload(dst []byte, sent int64) []byte {
	dst = append(dst, `{"t":`...)
	dst = strconv.AppendInt(dst, sent, 10)
	dst = append(dst, `,"p":"`...)
	dst = append(dst, p.pad...)
	return append(dst, `"}`...)
}

// appendEcho appends the Engine.IO message emitting "echo" with ack id.
func (p *packets) appendEcho(dst []byte, id uint32, sent int64) []byte {
	dst = append(dst, "42"...)
	dst = strconv.AppendUint(dst, uint64(id), 10)
	dst = append(dst, `["echo",`...)
	dst = p.appendPayload(dst, sent)
	return append(dst, ']')
}

// appendPublish appends the Engine.IO message emitting "publish" to the room.
func (p *packets) appendPublish(dst []byte, sent int64) []byte {
	dst = append(dst, p.publishPre...)
	dst = p.appendPayload(dst, sent)
	return append(dst, ']')
}

// appendPush appends the POST /broadcast body sending "msg" to the room.
func (p *packets) appendPush(dst []byte, sent int64) []byte {
	dst = append(dst, p.pushPre...)
	dst = p.appendPayload(dst, sent)
	return append(dst, '}')
}

// Fixed packets: CONNECT to "/", DISCONNECT from "/", Engine.IO pong and
// close. Constants rather than byte slices so that nothing can change them.
const (
	pktConnect    = "40"
	pktDisconnect = "41"
	pktPong       = "3"
	pktClose      = "1"
)
