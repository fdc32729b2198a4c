package loadtest

import (
	"errors"
	"fmt"
	"time"
)

// state is where a connection is in its life. States only move forward.
type state uint8

const (
	stUpgrading  state = iota // websocket: HTTP upgrade request sent
	stOpening                 // waiting for the Engine.IO open packet
	stConnecting              // Socket.IO CONNECT sent
	stJoining                 // join sent, waiting for its ack
	stReady                   // connected (and joined): counted as ready
	stClosing                 // closed by the generator or already counted
)

// String names the state in error reports.
func (s state) String() string {
	switch s {
	case stUpgrading:
		return "upgrading"
	case stOpening:
		return "opening"
	case stConnecting:
		return "connecting"
	case stJoining:
		return "joining"
	case stReady:
		return "ready"
	}
	return "closing"
}

// role is what a connection does in the scenario.
type role uint8

const (
	// roleMember connects, joins the run's room if it has one, receives
	// messages and answers echo acks.
	roleMember role = iota
	// roleChurn connects and disconnects as soon as the server accepts it.
	roleChurn
)

// Errors a server can cause on a connection. Each is counted by its text.
var (
	errServerClose      = errors.New("server closed the Engine.IO session")
	errServerDisconnect = errors.New("server sent DISCONNECT")
	errConnectRefused   = errors.New("server refused CONNECT")
	errUnexpectedOpen   = errors.New("Engine.IO open packet out of order")
)

// out is where a session writes packets. It is always used in the
// connection's context (its event loop, or its polling lock).
type out interface {
	// scratch is an empty buffer to build one packet in. It stays valid
	// until the next scratch or send.
	scratch() []byte
	// send writes one Engine.IO packet.
	send(pkt []byte) error
	// close closes the connection; the session has already set stClosing.
	close()
}

// session is the Engine.IO and Socket.IO state of one client connection,
// shared by both transports: a few bytes, since the generator holds tens of
// thousands of them. It is only touched in its connection's context.
type session struct {
	run   *run
	shard *shard
	state state
	role  role
	// nextAck is the next ack id; 0 is always the join.
	nextAck uint32
}

// handle processes one Engine.IO packet received at now (Unix ns).
func (s *session) handle(o out, pkt []byte, now int64) error {
	if len(pkt) == 0 {
		return fmt.Errorf("engine.io: %w", errEmptyPacket)
	}
	switch pkt[0] {
	case eioMessage:
		return s.message(o, pkt[1:], now)
	case eioPing:
		// The pong echoes the ping's data, empty except during upgrades.
		return o.send(append(append(o.scratch(), pktPong...), pkt[1:]...))
	case eioOpen:
		if s.state != stOpening {
			return errUnexpectedOpen
		}
		s.state = stConnecting
		return o.send(append(o.scratch(), pktConnect...))
	case eioClose:
		return errServerClose
	case eioPong, eioNoop, eioUpgrade:
		return nil
	}
	return fmt.Errorf("engine.io: %w %q", errPacketType, pkt[0])
}

// message processes a Socket.IO packet.
func (s *session) message(o out, b []byte, now int64) error {
	p, err := parseSocketIO(b)
	if err != nil {
		return err
	}
	if p.nsp != nil {
		return nil // the bench uses "/" only
	}
	switch p.typ {
	case sioEvent:
		if isEvent(p.data, "msg") {
			t, ok := scanTime(p.data[len(`["msg"`):])
			if !ok {
				s.shard.malformed.Add(1)
				return nil
			}
			s.shard.lat.Record(now - t)
		}
		return nil
	case sioAck:
		return s.ack(o, p, now)
	case sioConnect:
		return s.connected(o)
	case sioConnectError:
		return fmt.Errorf("%w: %.100s", errConnectRefused, p.data)
	case sioDisconnect:
		return errServerDisconnect
	}
	return nil
}

// connected handles the server's answer to CONNECT.
func (s *session) connected(o out) error {
	if s.state != stConnecting {
		return nil
	}
	r := s.run
	switch {
	case s.role == roleChurn:
		s.state = stClosing
		r.churn.ok.Add(1)
		_ = o.send(append(o.scratch(), pktDisconnect...))
		o.close()
		return nil
	case r.pk.join != nil:
		s.state = stJoining
		s.nextAck = 1
		return o.send(append(o.scratch(), r.pk.join...))
	}
	s.state = stReady
	r.conns.ready.Add(1)
	return nil
}

// ack handles an ACK: the join's, or an echo's in the closed loop, which
// sends the next echo at once until the run's echo deadline.
func (s *session) ack(o out, p sioPacket, now int64) error {
	switch {
	case p.ack == 0 && s.state == stJoining:
		s.state = stReady
		s.run.conns.ready.Add(1)
		return nil
	case s.state != stReady || p.ack != int64(s.nextAck)-1:
		s.shard.malformed.Add(1)
		return nil
	}
	t, ok := scanTime(p.data)
	if !ok {
		s.shard.malformed.Add(1)
		return nil
	}
	if now > s.run.echoUntil.Load() {
		return nil
	}
	s.shard.rtt.Record(now - t)
	return s.sendEcho(o)
}

// sendEcho emits "echo" with the next ack id and the current time.
func (s *session) sendEcho(o out) error {
	id := s.nextAck
	s.nextAck++
	return o.send(s.run.pk.appendEcho(o.scratch(), id, time.Now().UnixNano()))
}

// publish emits "publish" to the room with the current time.
func (s *session) publish(o out) error {
	return o.send(s.run.pk.appendPublish(o.scratch(), time.Now().UnixNano()))
}
