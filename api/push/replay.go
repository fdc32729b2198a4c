package push

import "sync"

// replayCache remembers the signatures accepted within the signing window,
// so that a captured request cannot be sent again while its timestamp is
// still acceptable. Memory is bounded: entries leave when their timestamp
// falls out of the window, and a full cache refuses new signatures (the
// request gets 503) rather than forgetting live ones, which would let a
// replay through.
type replayCache struct {
	mu    sync.Mutex
	max   int
	seen  map[replayKey]int64 // signature -> expiry, unix seconds
	queue []replayEntry       // insertion order, for expiry
	head  int
}

// replayKey is the first half of a signature: 128 bits make accidental
// collisions between honest requests negligible, at half the memory.
type replayKey [16]byte

type replayEntry struct {
	key    replayKey
	expiry int64
}

func newReplayCache(max int) *replayCache {
	return &replayCache{max: max, seen: make(map[replayKey]int64)}
}

// replay results.
const (
	replayFresh = iota
	replaySeen
	replayFull
)

// add records sig until expiry and reports whether it is fresh, was seen
// before, or cannot be recorded because the cache is full.
func (c *replayCache) add(sig []byte, expiry, now int64) int {
	var k replayKey
	copy(k[:], sig)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now)
	if exp, ok := c.seen[k]; ok && exp > now {
		return replaySeen
	}
	if len(c.seen) >= c.max {
		return replayFull
	}
	c.seen[k] = expiry
	c.queue = append(c.queue, replayEntry{k, expiry})
	return replayFresh
}

// expire drops entries from the front of the queue whose time has passed.
// Entries are queued in arrival order, which follows their timestamps
// closely; one that expires earlier than those ahead of it waits for them,
// which only delays freeing it.
func (c *replayCache) expire(now int64) {
	for c.head < len(c.queue) && c.queue[c.head].expiry <= now {
		e := c.queue[c.head]
		if c.seen[e.key] == e.expiry {
			delete(c.seen, e.key)
		}
		c.queue[c.head] = replayEntry{}
		c.head++
	}
	if c.head > 1024 && c.head*2 > len(c.queue) {
		n := copy(c.queue, c.queue[c.head:])
		c.queue = c.queue[:n]
		c.head = 0
	}
}

// len is the number of signatures remembered.
func (c *replayCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}
