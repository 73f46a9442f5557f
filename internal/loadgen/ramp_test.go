package loadgen

import (
	"testing"
)

func TestParseRamp(t *testing.T) {
	cases := []struct {
		in   string
		want []float64
	}{
		{"300:2000:200", []float64{300, 500, 700, 900, 1100, 1300, 1500, 1700, 1900}},
		{"100:300:100", []float64{100, 200, 300}},
		{"50:50:10", []float64{50}},
		{"0.5:1:0.1", []float64{0.5, 0.6, 0.7, 0.8, 0.9, 1}},
	}
	for _, c := range cases {
		got, err := ParseRamp(c.in)
		if err != nil {
			t.Errorf("ParseRamp(%q): %v", c.in, err)
			continue
		}
		if len(got) != len(c.want) {
			t.Errorf("ParseRamp(%q) = %v, want %v", c.in, got, c.want)
			continue
		}
		for i := range got {
			if d := got[i] - c.want[i]; d > 1e-9 || d < -1e-9 {
				t.Errorf("ParseRamp(%q) = %v, want %v", c.in, got, c.want)
				break
			}
		}
	}
	for _, bad := range []string{"", "300", "300:2000", "a:b:c", "300:200:10", "300:2000:0", "-1:5:1", "1:1000:1"} {
		if got, err := ParseRamp(bad); err == nil {
			t.Errorf("ParseRamp(%q) = %v, want an error", bad, got)
		}
	}
}
