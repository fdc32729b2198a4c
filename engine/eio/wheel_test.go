package eio

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

const wheelTick = 10 * time.Millisecond

var wheelStart = time.Unix(1000, 0)

func newTestWheel() *wheel {
	w := new(wheel)
	w.init(wheelTick, wheelStart)
	return w
}

// at is the time of tick n.
func at(n int) time.Time { return wheelStart.Add(time.Duration(n) * wheelTick) }

func TestWheelFiringOrder(t *testing.T) {
	t.Parallel()
	w := newTestWheel()
	var fired []string
	var timers [6]timer
	arm := func(i int, d time.Duration) {
		w.schedule(&timers[i], d, func() { fired = append(fired, fmt.Sprint(i)) })
	}
	arm(0, 30*time.Millisecond)
	arm(1, 10*time.Millisecond)
	arm(2, 30*time.Millisecond) // same tick as 0: after it, in arming order
	arm(3, 1*time.Millisecond)  // rounds up to one tick
	arm(4, 0)                   // at least one tick
	arm(5, 25*time.Millisecond) // rounds up to 3 ticks
	w.advance(at(0).Add(9 * time.Millisecond))
	if len(fired) != 0 {
		t.Fatalf("fired %v before the first tick", fired)
	}
	w.advance(at(1))
	if got := strings.Join(fired, ","); got != "1,3,4" {
		t.Fatalf("tick 1: %s", got)
	}
	w.advance(at(2))
	w.advance(at(2))
	if got := strings.Join(fired, ","); got != "1,3,4" {
		t.Fatalf("tick 2: %s", got)
	}
	// Several ticks at once still fire in tick order.
	w.advance(at(10))
	if got := strings.Join(fired, ","); got != "1,3,4,0,2,5" {
		t.Fatalf("fired %s", got)
	}
	// Going back in time does nothing.
	w.advance(at(5))
}

func TestWheelCancel(t *testing.T) {
	t.Parallel()
	w := newTestWheel()
	var fired []int
	var a, b, c timer
	w.schedule(&a, wheelTick, func() { fired = append(fired, 1) })
	w.schedule(&b, wheelTick, func() { fired = append(fired, 2) })
	w.schedule(&c, wheelTick, func() { fired = append(fired, 3) })
	w.cancel(&b)
	w.cancel(&b) // twice is fine
	var never timer
	w.cancel(&never) // never armed is fine
	w.advance(at(1))
	if !slices.Equal(fired, []int{1, 3}) {
		t.Fatalf("fired %v", fired)
	}
	// Re-arming replaces the earlier arming.
	fired = nil
	w.schedule(&a, wheelTick, func() { fired = append(fired, 10) })
	w.schedule(&a, 3*wheelTick, func() { fired = append(fired, 11) })
	w.advance(at(3))
	if len(fired) != 0 {
		t.Fatalf("fired %v at the old time", fired)
	}
	w.advance(at(4))
	if !slices.Equal(fired, []int{11}) {
		t.Fatalf("fired %v", fired)
	}
	// A fired timer is disarmed and can be cancelled harmlessly.
	w.cancel(&a)
	w.advance(at(4 + 2*wheelSlots))
	if !slices.Equal(fired, []int{11}) {
		t.Fatalf("fired %v", fired)
	}
}

func TestWheelCancelInsideFire(t *testing.T) {
	t.Parallel()
	w := newTestWheel()
	var fired []string
	var a, b, c timer
	w.schedule(&a, wheelTick, func() {
		fired = append(fired, "a")
		w.cancel(&b) // the next entry of the same slot
	})
	w.schedule(&b, wheelTick, func() { fired = append(fired, "b") })
	w.schedule(&c, wheelTick, func() { fired = append(fired, "c") })
	w.advance(at(1))
	if got := strings.Join(fired, ","); got != "a,c" {
		t.Fatalf("fired %s", got)
	}
}

func TestWheelRearmInsideFire(t *testing.T) {
	t.Parallel()
	t.Run("itself", func(t *testing.T) {
		t.Parallel()
		w := newTestWheel()
		var tm timer
		var ticks []int64
		var fn func()
		fn = func() {
			ticks = append(ticks, w.now)
			if len(ticks) < 5 {
				w.schedule(&tm, 2*wheelTick, fn)
			}
		}
		w.schedule(&tm, wheelTick, fn)
		for n := 1; n <= 100; n++ {
			w.advance(at(n))
		}
		if !slices.Equal(ticks, []int64{1, 3, 5, 7, 9}) {
			t.Fatalf("fired at ticks %v", ticks)
		}
	})
	t.Run("itself for the current slot a turn later", func(t *testing.T) {
		t.Parallel()
		w := newTestWheel()
		var tm timer
		n := 0
		var fn func()
		fn = func() {
			n++
			if n < 3 {
				w.schedule(&tm, wheelSlots*wheelTick, fn)
			}
		}
		w.schedule(&tm, wheelTick, fn)
		w.advance(at(1))
		if n != 1 {
			t.Fatalf("fired %d times at tick 1", n)
		}
		w.advance(at(wheelSlots))
		if n != 1 {
			t.Fatalf("fired %d times before a turn", n)
		}
		w.advance(at(1 + wheelSlots))
		w.advance(at(1 + 2*wheelSlots))
		if n != 3 {
			t.Fatalf("fired %d times", n)
		}
	})
	t.Run("the next entry into another slot", func(t *testing.T) {
		t.Parallel()
		w := newTestWheel()
		var a, b timer
		var fired []string
		w.schedule(&a, wheelTick, func() {
			fired = append(fired, "a")
			w.schedule(&b, 3*wheelTick, func() { fired = append(fired, "b") })
		})
		w.schedule(&b, wheelTick, func() { fired = append(fired, "b-old") })
		w.advance(at(1))
		if got := strings.Join(fired, ","); got != "a" {
			t.Fatalf("tick 1: %s", got)
		}
		w.advance(at(3))
		if got := strings.Join(fired, ","); got != "a" {
			t.Fatalf("tick 3: %s", got)
		}
		w.advance(at(4))
		if got := strings.Join(fired, ","); got != "a,b" {
			t.Fatalf("tick 4: %s", got)
		}
	})
	t.Run("the next entry a turn later", func(t *testing.T) {
		t.Parallel()
		w := newTestWheel()
		var a, b, c timer
		var fired []string
		w.schedule(&a, wheelTick, func() {
			fired = append(fired, "a")
			w.schedule(&b, wheelSlots*wheelTick, func() { fired = append(fired, "b") })
		})
		w.schedule(&b, wheelTick, func() { fired = append(fired, "b-old") })
		w.schedule(&c, wheelTick, func() { fired = append(fired, "c") })
		w.advance(at(1))
		if got := strings.Join(fired, ","); got != "a,c" {
			t.Fatalf("tick 1: %s", got)
		}
		w.advance(at(1 + wheelSlots))
		if got := strings.Join(fired, ","); got != "a,c,b" {
			t.Fatalf("a turn later: %s", got)
		}
	})
	t.Run("a new timer due next tick", func(t *testing.T) {
		t.Parallel()
		w := newTestWheel()
		var a, b timer
		var fired []int64
		w.schedule(&a, wheelTick, func() {
			w.schedule(&b, 0, func() { fired = append(fired, w.now) })
		})
		for n := 1; n <= 5; n++ {
			w.advance(at(n))
		}
		if !slices.Equal(fired, []int64{2}) {
			t.Fatalf("fired at %v", fired)
		}
	})
}

func TestWheelLongTimers(t *testing.T) {
	t.Parallel()
	w := newTestWheel()
	fired := map[string]int64{}
	var timers [4]timer
	// Spanning several turns of the wheel, and sharing a slot with short
	// timers.
	w.schedule(&timers[0], (wheelSlots*3+7)*wheelTick, func() { fired["long"] = w.now })
	w.schedule(&timers[1], 7*wheelTick, func() { fired["short"] = w.now })
	w.schedule(&timers[2], (wheelSlots+7)*wheelTick, func() { fired["mid"] = w.now })
	w.schedule(&timers[3], 25*time.Second, func() { fired["25s"] = w.now })
	for n := 1; n <= 2600; n++ {
		w.advance(at(n))
	}
	want := map[string]int64{"short": 7, "mid": wheelSlots + 7, "long": 3*wheelSlots + 7, "25s": 2500}
	for k, v := range want {
		if fired[k] != v {
			t.Fatalf("%s fired at tick %d, want %d (all %v)", k, fired[k], v, fired)
		}
	}
	// A jump over many turns at once fires it too.
	w2 := newTestWheel()
	var tm timer
	hit := int64(0)
	w2.schedule(&tm, (wheelSlots*5+1)*wheelTick, func() { hit = w2.now })
	w2.advance(at(10 * wheelSlots))
	if hit != wheelSlots*5+1 {
		t.Fatalf("fired at %d", hit)
	}
}

// The tests advance the wheel one tick at a time, as the loop's ticker
// does, wherever fire callbacks arm timers: when advance catches up on many
// ticks at once, a timer armed by a callback may be counted from the time
// of the catch-up rather than from the tick being fired.

// TestWheelRandomized checks, against a plain model, that every timer fires
// exactly once, at its tick, whatever the mix of arming, re-arming and
// cancelling, some of it done from fire callbacks.
func TestWheelRandomized(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	w := newTestWheel()
	const n = 300
	var timers [n]timer
	due := make([]int64, n) // 0 when not armed
	var fail string
	var arm func(i int, ticks int64)
	arm = func(i int, ticks int64) {
		w.schedule(&timers[i], time.Duration(ticks)*wheelTick, func() {
			if due[i] != w.now && fail == "" {
				fail = fmt.Sprintf("timer %d fired at %d, due %d", i, w.now, due[i])
			}
			due[i] = 0
			// Fire callbacks mess with other timers.
			switch j := rng.IntN(n); rng.IntN(4) {
			case 0:
				w.cancel(&timers[j])
				due[j] = 0
			case 1:
				d := 1 + rng.Int64N(3*wheelSlots)
				due[j] = w.now + d
				arm(j, d)
			}
		})
		due[i] = w.now + max(ticks, 1)
	}
	for i := range n {
		arm(i, 1+rng.Int64N(3*wheelSlots))
	}
	for tick := 1; tick <= 8*wheelSlots; tick++ {
		if rng.IntN(10) == 0 {
			i := rng.IntN(n)
			w.cancel(&timers[i])
			due[i] = 0
		}
		if rng.IntN(5) == 0 {
			i := rng.IntN(n)
			arm(i, rng.Int64N(2*wheelSlots))
		}
		w.advance(at(tick))
		if fail != "" {
			t.Fatal(fail)
		}
		for i, d := range due {
			if d != 0 && d <= w.now {
				t.Fatalf("timer %d due at %d did not fire by %d", i, d, w.now)
			}
		}
	}
}

// TestLoopTimer checks the exported Timer API on a running loop.
func TestLoopTimer(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	_, s := ts.openPolling()
	l := s.Loop()
	var t1, t2 Timer
	fired := make(chan string, 4)
	armed := time.Now()
	l.Post(TaskFunc(func(l *Loop) {
		l.Schedule(&t1, 50*time.Millisecond, func() { fired <- "t1" })
		l.Schedule(&t2, 30*time.Millisecond, func() { fired <- "t2" })
		l.Cancel(&t2)
	}))
	select {
	case got := <-fired:
		if got != "t1" {
			t.Fatalf("%s fired", got)
		}
		if d := time.Since(armed); d < 30*time.Millisecond {
			t.Fatalf("fired after %v", d)
		}
	case <-time.After(waitTimeout):
		t.Fatal("timer did not fire")
	}
	select {
	case got := <-fired:
		t.Fatalf("%s fired too", got)
	case <-time.After(100 * time.Millisecond):
	}
}

// TestWheelAdvanceAllocs guards the loop's idle cost: a tick that fires a
// timer which rearms itself allocates nothing.
func TestWheelAdvanceAllocs(t *testing.T) {
	w := newTestWheel()
	var tm timer
	var rearm func()
	rearm = func() { w.schedule(&tm, wheelTick, rearm) }
	rearm()
	n := 0
	if a := testing.AllocsPerRun(100, func() {
		n++
		w.advance(at(n))
	}); a != 0 {
		t.Fatalf("advance allocates %.1f times per tick", a)
	}
}

// TestWheelDue checks the bound the ticker relies on: a wheel with nothing
// due before a tick is not ticked, and one with a timer due is.
func TestWheelDue(t *testing.T) {
	t.Parallel()
	w := newTestWheel()
	if w.needsTick(at(100)) {
		t.Fatal("an empty wheel gets ticks")
	}
	var early, fine, later, far timer
	w.schedule(&early, 2*wheelTick, func() {})
	w.cancel(&early)
	w.schedule(&later, 170*wheelTick, func() {})
	if w.needsTick(at(1)) || !w.needsTick(at(2)) {
		t.Fatalf("the first tick wanted is %d, want 2 (a cancelled timer may cost a tick)", w.due.Load())
	}
	w.schedule(&fine, 3*wheelTick, func() {})
	w.schedule(&far, (wheelSlots+50)*wheelTick, func() {}) // waits in the slot of tick 50
	w.advance(at(2))
	if !w.needsTick(at(3)) || w.needsTick(at(2)) {
		t.Fatalf("with a timer due at tick 3 the next tick is %d", w.due.Load())
	}
	w.advance(at(3))
	if got := w.due.Load(); got != 50 {
		t.Fatalf("after tick 3 the next tick is %d, want 50, the slot of the far timer", got)
	}
	w.advance(at(50))
	if got := w.due.Load(); got != 170 {
		t.Fatalf("after tick 50 the next tick is %d, want 170", got)
	}
	w.advance(at(170))
	if got := w.due.Load(); got != wheelSlots+50 {
		t.Fatalf("after tick 170 the next tick is %d, want %d", got, wheelSlots+50)
	}
	w.cancel(&far)
	w.advance(at(171))
	if w.needsTick(at(10 * wheelSlots)) {
		t.Fatal("a wheel whose timers all fired or were cancelled gets ticks")
	}
}
