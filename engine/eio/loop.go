package eio

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/heraldrt/herald/protocol/httphead"
)

// Task is work that must run on a particular loop, such as delivering a
// broadcast to the sessions that loop owns.
type Task interface {
	Run(l *Loop)
}

// TaskFunc adapts a function to Task.
type TaskFunc func(l *Loop)

// Run calls f(l).
func (f TaskFunc) Run(l *Loop) { f(l) }

// item is one entry of a loop's mailbox: a Task, or a Message for a session.
type item struct {
	task Task
	s    *Session
	m    *Message
}

// Loop is one gnet event loop as Herald sees it. Everything a loop owns
// (its connections, the sessions homed on it, their timers and queues) is
// touched only by code running on it; other goroutines reach it with Post.
type Loop struct {
	r   *Reactor
	idx int
	el  gnet.EventLoop

	mu        sync.Mutex
	inbox     []item
	spare     []item
	scheduled bool // a drain task is queued in gnet
	active    bool // the loop is in a callback and drains the mailbox at its end
	stopped   bool // the engine refused a task: nothing will run here again
	drain     gnet.RunnableFunc
	tick      gnet.RunnableFunc

	wheel wheel
	now   time.Time
	// ticking is set while a tick task is queued in gnet, so that a busy
	// loop does not collect one per tick.
	ticking atomic.Bool

	dirty    []*conn
	flushing []*conn
	pending  []pendingWrite // output of every connection, this callback
	iov      [][]byte       // scratch for one connection's writev

	req     httphead.Request
	scratch []byte
}

func newLoop(r *Reactor, idx int, el gnet.EventLoop) *Loop {
	l := &Loop{r: r, idx: idx, el: el, now: time.Now()}
	l.wheel.init(r.cfg.Tick, l.now)
	l.drain = func(context.Context) error { l.enter(); l.leave(); return nil }
	l.tick = func(context.Context) error { l.ticking.Store(false); l.enter(); l.leave(); return nil }
	return l
}

// Index is the loop's position among the reactor's loops, stable for the
// reactor's life; layers above use it to keep per-loop state in a slice.
func (l *Loop) Index() int { return l.idx }

// Now is the loop's clock, updated at every tick and callback.
func (l *Loop) Now() time.Time { return l.now }

// Post queues t to run on l. It is safe from any goroutine, and tasks posted
// from one goroutine run in the order they were posted.
func (l *Loop) Post(t Task) {
	l.push(item{task: t})
}

func (l *Loop) push(it item) {
	l.mu.Lock()
	if l.stopped {
		l.mu.Unlock()
		if d, ok := it.task.(Dropper); ok {
			d.Drop(l)
		}
		return
	}
	l.inbox = append(l.inbox, it)
	// A loop in a callback drains its mailbox at the end of it: no wake-up
	// is needed, which saves a system call for work a handler on the loop
	// posts to its own loop, such as an ack.
	wake := !l.scheduled && !l.active
	if wake {
		l.scheduled = true
	}
	l.mu.Unlock()
	if wake {
		if err := l.el.Execute(context.Background(), l.drain); err != nil {
			// The engine is shutting down: nothing will run these tasks.
			l.mu.Lock()
			dropped := l.inbox
			l.inbox = nil
			l.scheduled = false
			l.stopped = true
			l.mu.Unlock()
			for _, it := range dropped {
				if d, ok := it.task.(Dropper); ok {
					d.Drop(l)
				}
			}
		}
	}
}

// Dropper is a Task that must learn when it will never run because its
// loop has stopped, such as a broadcast whose sender waits for a count.
type Dropper interface {
	Task
	// Drop is called instead of Run, on the goroutine that posted.
	Drop(l *Loop)
}

// enter starts a callback on the loop: from now until leave, work posted
// to the loop is drained by leave instead of by a queued task.
func (l *Loop) enter() {
	l.mu.Lock()
	l.active = true
	l.mu.Unlock()
	l.now = time.Now()
}

// leave ends a callback: it flushes the output queued so far, then runs
// the mailbox batch by batch, flushing after each, until it is empty. A
// steady stream of tasks thus never holds the output back.
func (l *Loop) leave() {
	l.advance()
	for {
		l.flush()
		l.mu.Lock()
		batch := l.inbox
		if len(batch) == 0 {
			l.scheduled, l.active = false, false
			l.mu.Unlock()
			return
		}
		l.inbox = l.spare[:0]
		l.mu.Unlock()
		l.now = time.Now()
		for i := range batch {
			it := &batch[i]
			if it.task != nil {
				it.task.Run(l)
			} else {
				it.s.deliver(l, it.m)
			}
		}
		clear(batch)
		if cap(batch) > maxSpareItems {
			batch = nil // a backlog's peak is not kept for ever
		}
		l.spare = batch[:0]
	}
}

// maxSpareItems bounds the mailbox capacity a loop keeps between batches.
const maxSpareItems = 4096

// advance fires the timers due by the loop's clock. Every callback ends
// with it, so a loop with traffic keeps its wheel turning without tick
// tasks, each of which costs allocations in gnet.
func (l *Loop) advance() { l.wheel.advance(l.now) }

// maybeTick queues a tick task when a timer may be due and none is queued.
// It is safe from any goroutine.
func (l *Loop) maybeTick(now time.Time) {
	if !l.wheel.needsTick(now) || l.ticking.Swap(true) {
		return
	}
	if err := l.el.Execute(context.Background(), l.tick); err != nil {
		l.ticking.Store(false) // the engine is shutting down
	}
}

// after arms t on l's wheel, counting d from now.
func (l *Loop) after(t *timer, d time.Duration, fn func()) {
	l.wheel.observe(time.Now())
	l.wheel.schedule(t, d, fn)
}

func (l *Loop) stop(t *timer) { l.wheel.cancel(t) }

// mono is the loop's clock as a monotonic offset, immune to wall-clock
// steps.
func (l *Loop) mono() time.Duration { return l.now.Sub(l.wheel.start) }

// pendingWrite is one buffer queued for a connection; next links the
// connection's buffers in order.
type pendingWrite struct {
	b    []byte
	next int32
}

// markDirty schedules c for the flush at the end of the current callback.
func (l *Loop) markDirty(c *conn) {
	if !c.dirty {
		c.dirty = true
		l.dirty = append(l.dirty, c)
	}
}

// queue appends b to c's output for this callback.
func (l *Loop) queue(c *conn, b []byte) {
	i := int32(len(l.pending))
	l.pending = append(l.pending, pendingWrite{b: b, next: -1})
	if c.head < 0 {
		c.head = i
		l.markDirty(c)
	} else {
		l.pending[c.tail].next = i
	}
	c.tail = i
}

// chain returns c's queued buffers in order, in the loop's scratch, and
// empties c's queue.
func (l *Loop) chain(c *conn) [][]byte {
	iov := l.iov[:0]
	for i := c.head; i >= 0; i = l.pending[i].next {
		iov = append(iov, l.pending[i].b)
	}
	c.head, c.tail = -1, -1
	l.iov = iov
	return iov
}

// flush writes every connection that queued output during this callback,
// each with as few writes as its queue allows, then empties the arena.
func (l *Loop) flush() {
	for len(l.dirty) > 0 {
		l.flushing, l.dirty = l.dirty, l.flushing[:0]
		for i, c := range l.flushing {
			c.dirty = false
			c.flush()
			l.flushing[i] = nil
		}
	}
	clear(l.pending)
	if cap(l.pending) > maxPending {
		l.pending = nil // a burst's peak is not kept for ever
	}
	if cap(l.iov) > maxPending {
		l.iov = nil
	}
	l.pending = l.pending[:0]
	l.iov = l.iov[:0]
}

// maxPending bounds the arena capacity a loop keeps between callbacks.
const maxPending = 1 << 14

// Timer is a timer on a loop's timing wheel, embedded by its owner so that
// arming it never allocates. Use it only on the loop that armed it.
type Timer struct{ t timer }

// Schedule arms t to call fn on l after d, replacing an earlier arming.
func (l *Loop) Schedule(t *Timer, d time.Duration, fn func()) { l.after(&t.t, d, fn) }

// Cancel disarms t; it is a no-op on a timer that is not armed.
func (l *Loop) Cancel(t *Timer) { l.wheel.cancel(&t.t) }
