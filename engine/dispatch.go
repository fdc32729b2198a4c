package engine

import (
	"context"
	"sync"
)

// workers runs handlers for many sockets on a fixed set of goroutines. A
// socket is queued at most once at a time and runs its jobs in order, so
// handlers see each socket's packets in arrival order without a goroutine
// per socket.
type workers struct {
	mu      sync.Mutex
	cond    sync.Cond
	runq    []*serial
	head    int
	closed  bool
	started bool
	n       int
	active  int // workers running a queue
	wg      sync.WaitGroup
}

func newWorkers(n int) *workers {
	w := &workers{n: n}
	w.cond.L = &w.mu
	return w
}

func (w *workers) start() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.started {
		return
	}
	w.started = true
	for range w.n {
		w.wg.Add(1)
		go w.work()
	}
}

// stop ends the workers once the queued jobs have run, waiting until ctx
// is done at most.
func (w *workers) stop(ctx context.Context) error {
	w.mu.Lock()
	w.closed = true
	w.cond.Broadcast()
	w.mu.Unlock()
	done := make(chan struct{})
	go func() { w.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// idle reports whether no job is queued or running.
func (w *workers) idle() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.head == len(w.runq) && w.active == 0
}

func (w *workers) schedule(s *serial) {
	w.mu.Lock()
	w.runq = append(w.runq, s)
	w.mu.Unlock()
	w.cond.Signal()
}

func (w *workers) work() {
	defer w.wg.Done()
	for {
		w.mu.Lock()
		for w.head == len(w.runq) && !w.closed {
			w.cond.Wait()
		}
		if w.head == len(w.runq) {
			w.mu.Unlock()
			return
		}
		s := w.runq[w.head]
		w.runq[w.head] = nil
		w.head++
		if w.head == len(w.runq) {
			w.runq, w.head = w.runq[:0], 0
		} else if w.head > 1024 && w.head*2 > len(w.runq) {
			n := copy(w.runq, w.runq[w.head:])
			clear(w.runq[n:])
			w.runq, w.head = w.runq[:n], 0
		}
		w.active++
		w.mu.Unlock()
		s.run()
		w.mu.Lock()
		w.active--
		w.mu.Unlock()
	}
}

// serial is one socket's ordered job queue.
type serial struct {
	w       *workers
	mu      sync.Mutex
	jobs    []job
	bytes   int // weight of the queued jobs
	running bool
	// inline runs jobs at once on the caller, which is the socket's loop.
	inline bool
}

type job struct {
	fn     func()
	weight int
}

// do queues fn after the socket's earlier jobs. It reports false when the
// queue already holds limit jobs, so that the caller can drop the socket.
func (q *serial) do(fn func(), limit int) bool {
	return q.doWeighted(fn, 0, limit, 0)
}

// doWeighted is do with a bound on the total weight of queued jobs too.
func (q *serial) doWeighted(fn func(), weight, maxJobs, maxWeight int) bool {
	if q.inline {
		fn()
		return true
	}
	q.mu.Lock()
	if (maxJobs > 0 && len(q.jobs) >= maxJobs) || (maxWeight > 0 && q.bytes+weight > maxWeight) {
		q.mu.Unlock()
		return false
	}
	q.bytes += weight
	q.jobs = append(q.jobs, job{fn: fn, weight: weight})
	start := !q.running
	q.running = true
	q.mu.Unlock()
	if start {
		q.w.schedule(q)
	}
	return true
}

// run drains the queue; jobs queued meanwhile run in the same turn, up to a
// bound that keeps one busy socket from starving the others.
func (q *serial) run() {
	for range 64 {
		q.mu.Lock()
		if len(q.jobs) == 0 {
			q.running = false
			if cap(q.jobs) > 16 {
				q.jobs = nil
			}
			q.mu.Unlock()
			return
		}
		j := q.jobs[0]
		q.jobs[0] = job{}
		q.jobs = q.jobs[1:]
		q.mu.Unlock()
		j.fn()
		if j.weight > 0 {
			q.mu.Lock()
			q.bytes -= j.weight
			q.mu.Unlock()
		}
	}
	q.w.schedule(q)
}
