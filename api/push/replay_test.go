package push

import (
	"testing"

	"github.com/heraldrt/herald/api/config"
)

func testAPIConfig() config.API {
	c := config.Default().API
	c.Keys = []config.APIKey{{Name: "k", Key: "key-0123456789abcdef", Scopes: []string{"emit"}}}
	return c
}

func sig(b byte) []byte {
	s := make([]byte, 32)
	s[0] = b
	return s
}

func TestReplayCacheRemembersUntilExpiry(t *testing.T) {
	c := newReplayCache(10)
	if c.add(sig(1), 100, 50) != replayFresh {
		t.Fatal("first use refused")
	}
	if c.add(sig(1), 100, 99) != replaySeen {
		t.Fatal("replay before expiry accepted")
	}
	if c.add(sig(2), 100, 99) != replayFresh {
		t.Fatal("another signature refused")
	}
	// At expiry the entries go: memory follows the window.
	if c.add(sig(3), 200, 100) != replayFresh || c.len() != 1 {
		t.Fatalf("after expiry: %d remembered, want 1", c.len())
	}
}

func TestReplayCacheIsBounded(t *testing.T) {
	c := newReplayCache(3)
	for i := range 3 {
		if c.add(sig(byte(i)), 100, 0) != replayFresh {
			t.Fatalf("signature %d refused", i)
		}
	}
	if c.add(sig(9), 100, 0) != replayFull {
		t.Fatal("a full cache accepted a new signature")
	}
	if c.add(sig(0), 100, 0) != replaySeen {
		t.Fatal("a full cache forgot a signature")
	}
	if c.add(sig(9), 200, 100) != replayFresh {
		t.Fatal("no room after expiry")
	}
}

func TestReplayCacheCompactsItsQueue(t *testing.T) {
	c := newReplayCache(1 << 20)
	for i := range 100000 {
		s := make([]byte, 32)
		s[0], s[1], s[2] = byte(i), byte(i>>8), byte(i>>16)
		c.add(s, int64(i)+10, int64(i))
	}
	if c.len() > 11 || len(c.queue)-c.head > 11 || cap(c.queue) > 4096 {
		t.Fatalf("%d remembered, queue %d live of cap %d", c.len(), len(c.queue)-c.head, cap(c.queue))
	}
}
