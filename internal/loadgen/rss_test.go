package loadgen

import (
	"os"
	"testing"
	"time"
)

func TestParseStatus(t *testing.T) {
	status := "Name:\trelais\nVmPeak:\t 1300000 kB\nVmHWM:\t   61234 kB\nVmRSS:\t   51200 kB\nThreads:\t9\n"
	rss, hwm, err := ParseStatus([]byte(status))
	if err != nil || rss != 51200 || hwm != 61234 {
		t.Fatalf("ParseStatus = %d, %d, %v; want 51200, 61234, nil", rss, hwm, err)
	}
	for _, bad := range []string{"Name:\tkthreadd\n", "VmRSS:\t12 MB\nVmHWM:\t12 kB\n", "VmRSS:\tx kB\nVmHWM:\t1 kB\n"} {
		if _, _, err := ParseStatus([]byte(bad)); err == nil {
			t.Errorf("ParseStatus(%q): want an error", bad)
		}
	}
}

func TestRSSSamplerOwnProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc")
	}
	s := StartRSS(os.Getpid(), time.Millisecond)
	r := s.Stop()
	if r.Err != nil || r.Samples < 2 || r.MaxKB <= 0 || r.PeakKB < r.MaxKB {
		t.Errorf("sampling this process: %+v", r)
	}
}
