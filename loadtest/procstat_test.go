package loadtest

import (
	"os"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	// The command name may hold spaces and parentheses.
	stat := "1234 (node (worker) x) S 1 1234 1234 0 -1 4194560 1000 0 0 0 250 150 0 0 20 0 11 0 100 0 0"
	got, err := parseStatCPU([]byte(stat), 100)
	if err != nil || got != 4*time.Second {
		t.Fatalf("got %v, %v; want 4s", got, err)
	}
	if _, err := parseStatCPU([]byte("1234 (x) S 1 2"), 100); err == nil {
		t.Fatal("short stat accepted")
	}
	if _, err := parseStatCPU([]byte("no name"), 100); err == nil {
		t.Fatal("stat without name accepted")
	}
}

func TestParseVmRSS(t *testing.T) {
	status := "Name:\tbench\nVmPeak:\t  100 kB\nVmRSS:\t   2048 kB\nThreads:\t3\n"
	if got, err := parseVmRSS([]byte(status)); err != nil || got != 2<<20 {
		t.Fatalf("got %d, %v", got, err)
	}
	if _, err := parseVmRSS([]byte("Name:\tx\n")); err == nil {
		t.Fatal("status without VmRSS accepted")
	}
	if _, err := parseVmRSS([]byte("VmRSS:\t12 MB\n")); err == nil {
		t.Fatal("unknown unit accepted")
	}
}

func TestOwnProcess(t *testing.T) {
	p := proc{pid: os.Getpid(), ticks: clockTicks()}
	if p.ticks <= 0 {
		t.Fatalf("clock ticks %d", p.ticks)
	}
	deadline := time.Now().Add(50 * time.Millisecond)
	for time.Now().Before(deadline) {
	}
	if p.cpu() <= 0 || p.rss() <= 0 {
		t.Fatalf("cpu %v rss %d", p.cpu(), p.rss())
	}
	none := proc{}
	if none.cpu() != 0 || none.rss() != 0 {
		t.Fatal("no pid must read zero")
	}
	gone := proc{pid: 1 << 30, ticks: 100}
	if gone.cpu() != 0 || gone.rss() != 0 {
		t.Fatal("a missing process must read zero")
	}
}

func TestParseCPUStall(t *testing.T) {
	psi := "some avg10=97.76 avg60=96.79 avg300=89.12 total=2271400394\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
	if d, ok := parseCPUStall([]byte(psi)); !ok || d != 2271400394*time.Microsecond {
		t.Fatalf("got %v %v", d, ok)
	}
	if _, ok := parseCPUStall([]byte("full total=3\n")); ok {
		t.Fatal("no some line accepted")
	}
}
