package eio

import (
	"errors"

	"github.com/gobwas/ws"

	"github.com/heraldrt/herald/protocol/engineio"
)

var errUpgradeTimeout = errors.New("eio: client did not complete the upgrade in time")

// beginUpgrade takes c, a fresh WebSocket connection that names this
// session, as a probe for an upgrade from polling. Home loop only.
func (s *Session) beginUpgrade(c *conn) {
	if s.state != stateOpen || s.probe != nil || s.ws != nil {
		// Already upgrading or upgraded: the reference closes the newcomer.
		c.post(s.home, func() {
			c.s = nil
			c.wsCloseWith(ws.StatusNormalClosure, "")
		})
		return
	}
	s.probe, s.probed = c, false
	s.home.after(&s.aux, s.srv.cfg.UpgradeTimeout, func() {
		s.srv.log.Debug("eio: upgrade timed out", "sid", s.id, "err", errUpgradeTimeout)
		s.abortUpgrade()
	})
}

// onProbePacket drives the probe exchange: 2probe is answered with 3probe,
// then 5 moves the session to the probe connection.
func (s *Session) onProbePacket(p engineio.Packet) {
	c := s.probe
	switch {
	case p.Type == engineio.Ping && string(p.Data) == "probe":
		s.probed = true
		frames := probeMessage.frames
		c.post(s.home, func() { c.write(frames) })
		if s.pollConn != nil && len(s.queue) == 0 {
			s.respondPoll(noopMessage.Polling())
		}
	case p.Type == engineio.Upgrade && s.probed && s.state == stateOpen:
		s.home.stop(&s.aux)
		s.home.stop(&s.noopT)
		s.probe, s.probed = nil, false
		s.ws = c
		s.upgradedFlag.Store(true)
		if s.pollConn != nil {
			// A conforming client has no poll open once it sends the
			// upgrade packet; this one is stray.
			pc, extra := s.pollConn, s.pollExtra
			s.pollConn, s.pollExtra = nil, nil
			s.answerError(pc, CodeBadRequest, extra)
		}
		queued := s.queue
		s.queue, s.queueBytes = nil, 0
		for _, m := range queued {
			s.writeWS(m.frames)
		}
	default:
		s.abortUpgrade()
	}
}

// abortUpgrade drops the probe connection; the session stays on polling.
func (s *Session) abortUpgrade() {
	c := s.probe
	if c == nil {
		return
	}
	s.probe, s.probed = nil, false
	s.home.stop(&s.aux)
	c.post(s.home, func() {
		c.s = nil
		c.wsCloseWith(ws.StatusNormalClosure, "")
	})
}
