package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RSS is what a process's resident memory did during a sampling.
type RSS struct {
	// MaxKB is the largest VmRSS sampled, in KiB.
	MaxKB int64
	// PeakKB is the kernel's VmHWM at the last sample: the peak since the
	// process started, which catches spikes between samples.
	PeakKB  int64
	Samples int
	// Err is the last read error (the process may have exited).
	Err error
}

// RSSSampler reads /proc/PID/status at a fixed interval.
type RSSSampler struct {
	path   string
	cancel context.CancelFunc
	done   chan struct{}

	mu  sync.Mutex
	rss RSS
}

// StartRSS samples pid's resident memory every interval until Stop. Linux
// only: elsewhere every sample fails and RSS.Err says so.
func StartRSS(pid int, interval time.Duration) *RSSSampler {
	ctx, cancel := context.WithCancel(context.Background())
	s := &RSSSampler{path: fmt.Sprintf("/proc/%d/status", pid), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			s.sample()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *RSSSampler) sample() {
	b, err := os.ReadFile(s.path)
	var rss, hwm int64
	if err == nil {
		rss, hwm, err = ParseStatus(b)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.rss.Err = err
		return
	}
	s.rss.Samples++
	s.rss.MaxKB = max(s.rss.MaxKB, rss)
	s.rss.PeakKB = hwm
}

// Now is what was sampled so far.
func (s *RSSSampler) Now() RSS {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rss
}

// Stop takes a last sample and returns the figures.
func (s *RSSSampler) Stop() RSS {
	s.cancel()
	<-s.done
	s.sample()
	return s.Now()
}

// ParseStatus reads VmRSS and VmHWM (KiB) from a /proc/PID/status file.
func ParseStatus(b []byte) (rssKB, hwmKB int64, err error) {
	found := 0
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		f := strings.Fields(value) // "  12345 kB"
		if len(f) != 2 || f[1] != "kB" {
			return 0, 0, fmt.Errorf("unexpected %s line %q", name, sc.Text())
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("unexpected %s line %q", name, sc.Text())
		}
		if name == "VmRSS" {
			rssKB = n
		} else {
			hwmKB = n
		}
		found++
	}
	if found < 2 {
		return 0, 0, fmt.Errorf("no VmRSS/VmHWM in status (a kernel thread, or not Linux?)")
	}
	return rssKB, hwmKB, nil
}
