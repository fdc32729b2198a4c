package loadtest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"time"
)

// defaultClockTicks is USER_HZ on every Linux build that matters; it is used
// when the auxiliary vector cannot be read.
const defaultClockTicks = 100

// atClkTck is the auxiliary vector entry that sysconf(_SC_CLK_TCK) returns.
const atClkTck = 17

// clockTicks returns the kernel's clock ticks per second, the unit of
// utime and stime in /proc/PID/stat. Go has no sysconf without cgo, but
// sysconf reads the value from the auxiliary vector, and so does this.
func clockTicks() int64 {
	b, err := os.ReadFile("/proc/self/auxv")
	if err != nil {
		return defaultClockTicks
	}
	for ; len(b) >= 16; b = b[16:] {
		key, val := binary.NativeEndian.Uint64(b), binary.NativeEndian.Uint64(b[8:])
		if key == atClkTck && val > 0 {
			return int64(val)
		}
	}
	return defaultClockTicks
}

// procCPU returns the CPU time (user + system) a process has used, from
// /proc/PID/stat.
func procCPU(pid int, ticksPerSec int64) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read CPU of pid %d: %w", pid, err)
	}
	return parseStatCPU(b, ticksPerSec)
}

// parseStatCPU reads utime and stime, fields 14 and 15 of /proc/PID/stat.
// The command name (field 2) may hold spaces and parentheses, so fields are
// counted from the last ')'.
func parseStatCPU(b []byte, ticksPerSec int64) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("parse /proc stat: no command name")
	}
	fields := bytes.Fields(b[i+1:])
	// fields[0] is field 3 (state), so field k is fields[k-3].
	if len(fields) < 13 {
		return 0, fmt.Errorf("parse /proc stat: %d fields", len(fields)+2)
	}
	utime, err1 := strconv.ParseInt(string(fields[11]), 10, 64)
	stime, err2 := strconv.ParseInt(string(fields[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("parse /proc stat: utime %q stime %q", fields[11], fields[12])
	}
	return time.Duration(utime+stime) * time.Second / time.Duration(ticksPerSec), nil
}

// procRSS returns a process's resident set size in bytes, from VmRSS in
// /proc/PID/status.
func procRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read RSS of pid %d: %w", pid, err)
	}
	return parseVmRSS(b)
}

func parseVmRSS(b []byte) (int64, error) {
	for line := range bytes.Lines(b) {
		rest, ok := bytes.CutPrefix(line, []byte("VmRSS:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0, fmt.Errorf("parse VmRSS %q", bytes.TrimSpace(line))
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse VmRSS: %w", err)
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("parse status: no VmRSS line")
}

// proc watches one process's CPU and memory. A zero pid watches nothing and
// reads as zero, so that runs without --server-pid still work.
type proc struct {
	pid   int
	ticks int64
}

// cpu returns the process's CPU time so far, 0 when unknown.
func (p proc) cpu() time.Duration {
	if p.pid <= 0 {
		return 0
	}
	d, err := procCPU(p.pid, p.ticks)
	if err != nil {
		return 0
	}
	return d
}

// rss returns the process's resident set size, 0 when unknown.
func (p proc) rss() int64 {
	if p.pid <= 0 {
		return 0
	}
	n, err := procRSS(p.pid)
	if err != nil {
		return 0
	}
	return n
}

// loadAvg returns the machine's one-minute load average, 0 when unknown.
// Benchmarks share the machine: a load well above the run's own two busy
// processes means something else competed for the cores.
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := bytes.Fields(b)
	if len(f) == 0 {
		return 0
	}
	v, err := strconv.ParseFloat(string(f[0]), 64)
	if err != nil {
		return 0
	}
	return v
}

// cpuStall returns the total time some task on the machine waited for a
// CPU, from the kernel's pressure stall information (/proc/pressure/cpu,
// "some" line), and false when the kernel does not provide it.
func cpuStall() (time.Duration, bool) {
	b, err := os.ReadFile("/proc/pressure/cpu")
	if err != nil {
		return 0, false
	}
	return parseCPUStall(b)
}

func parseCPUStall(b []byte) (time.Duration, bool) {
	for line := range bytes.Lines(b) {
		if !bytes.HasPrefix(line, []byte("some ")) {
			continue
		}
		for _, f := range bytes.Fields(line) {
			if v, ok := bytes.CutPrefix(f, []byte("total=")); ok {
				us, err := strconv.ParseInt(string(v), 10, 64)
				if err != nil {
					return 0, false
				}
				return time.Duration(us) * time.Microsecond, true
			}
		}
	}
	return 0, false
}
