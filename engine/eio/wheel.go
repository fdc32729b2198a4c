package eio

import "time"

// wheelSlots is the number of slots of a loop's timing wheel; with the
// default 10 ms tick one turn of the wheel covers 5.12 s and longer timers
// wait in their slot for later turns.
const wheelSlots = 512

// timer is an intrusive wheel entry. Owners embed it, so arming a timer never
// allocates. A timer belongs to one loop and is touched only there.
type timer struct {
	prev, next *timer
	when       int64 // tick at which it fires
	fire       func()
}

// wheel is a hashed timing wheel driven by its loop's ticks.
type wheel struct {
	tick  time.Duration
	start time.Time
	now   int64             // last tick processed
	clock time.Time         // latest time seen, which may be past the last tick
	slots [wheelSlots]timer // list heads
}

func (w *wheel) init(tick time.Duration, now time.Time) {
	w.tick, w.start, w.clock = tick, now, now
	for i := range w.slots {
		h := &w.slots[i]
		h.prev, h.next = h, h
	}
}

// observe moves the wheel's clock forward, so that timers armed now count
// from now even when ticks lag behind (a busy loop).
func (w *wheel) observe(now time.Time) {
	if now.After(w.clock) {
		w.clock = now
	}
}

// schedule arms t to call fn after d, counted from the wheel's clock,
// replacing any earlier arming. It never fires early: it fires on the
// first tick at or after clock+d.
func (w *wheel) schedule(t *timer, d time.Duration, fn func()) {
	w.cancel(t)
	due := w.clock.Sub(w.start) + d
	when := int64((due + w.tick - 1) / w.tick)
	if when <= w.now {
		when = w.now + 1
	}
	t.when = when
	t.fire = fn
	w.insert(t, &w.slots[t.when%wheelSlots])
}

func (w *wheel) cancel(t *timer) {
	if t.next == nil {
		return
	}
	t.prev.next = t.next
	t.next.prev = t.prev
	t.prev, t.next = nil, nil
}

// advance fires every timer due up to now, in tick order. A slot's list is
// detached before its timers fire, so that callbacks may arm and cancel any
// timer, those of the same slot included.
func (w *wheel) advance(now time.Time) {
	w.observe(now)
	target := int64(now.Sub(w.start) / w.tick)
	var pending timer
	for w.now < target {
		w.now++
		h := &w.slots[w.now%wheelSlots]
		if h.next == h {
			continue
		}
		// Move the slot's entries to pending, then take them one by one.
		pending.next, pending.prev = h.next, h.prev
		pending.next.prev, pending.prev.next = &pending, &pending
		h.next, h.prev = h, h
		for pending.next != &pending {
			t := pending.next
			w.cancel(t)
			if t.when > w.now {
				w.insert(t, h)
				continue
			}
			t.fire()
		}
	}
}

func (w *wheel) insert(t *timer, h *timer) {
	t.prev, t.next = h.prev, h
	h.prev.next = t
	h.prev = t
}
