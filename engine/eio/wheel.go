package eio

import (
	"math"
	"sync/atomic"
	"time"
)

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
	// due is a lower bound of the tick of the earliest armed timer
	// (math.MaxInt64 when none is), for the ticker to skip loops with
	// nothing due. Only the loop writes it.
	due atomic.Int64
	// pending holds the slot being fired; a field, not a local, because
	// its address is taken and a local would escape: one allocation per
	// tick.
	pending timer
}

func (w *wheel) init(tick time.Duration, now time.Time) {
	w.tick, w.start, w.clock = tick, now, now
	for i := range w.slots {
		h := &w.slots[i]
		h.prev, h.next = h, h
	}
	w.due.Store(math.MaxInt64)
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
	t.when = max(int64((due+w.tick-1)/w.tick), w.now+1)
	t.fire = fn
	w.insert(t, &w.slots[t.when%wheelSlots])
	if t.when < w.due.Load() {
		w.due.Store(t.when)
	}
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
	if w.now >= target {
		return
	}
	pending := &w.pending
	for w.now < target {
		w.now++
		h := &w.slots[w.now%wheelSlots]
		if h.next == h {
			continue
		}
		// Move the slot's entries to pending, then take them one by one.
		pending.next, pending.prev = h.next, h.prev
		pending.next.prev, pending.prev.next = pending, pending
		h.next, h.prev = h, h
		for pending.next != pending {
			t := pending.next
			w.cancel(t)
			if t.when > w.now {
				w.insert(t, h)
				continue
			}
			t.fire()
		}
	}
	w.due.Store(w.firstArmed())
}

// firstArmed is the tick of the first non-empty slot after the current
// one: no timer is due before it, since a timer waits in the slot of its
// tick or, when that is more than a turn away, in an earlier one.
func (w *wheel) firstArmed() int64 {
	for k := w.now + 1; k <= w.now+wheelSlots; k++ {
		if h := &w.slots[k%wheelSlots]; h.next != h {
			return k
		}
	}
	return math.MaxInt64
}

// needsTick reports whether a timer may be due at now. It is safe from any
// goroutine.
func (w *wheel) needsTick(now time.Time) bool {
	return int64(now.Sub(w.start)/w.tick) >= w.due.Load()
}

func (w *wheel) insert(t *timer, h *timer) {
	t.prev, t.next = h.prev, h
	h.prev.next = t
	h.prev = t
}
