package seed

import "testing"

func TestDollars(t *testing.T) {
	cases := map[string]int64{"125000": 12500000, "125 000": 12500000, "125000.5": 12500050, "0.07": 7, "12.34": 1234}
	for in, want := range cases {
		got, err := row{map[string]int{"a": 0}, []string{in}}.dollars("a")
		if err != nil || got != want {
			t.Errorf("dollars(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "12,5", "1.234", "12.", "abc", ".5"} {
		if _, err := (row{map[string]int{"a": 0}, []string{in}}).dollars("a"); err == nil {
			t.Errorf("dollars(%q) accepted", in)
		}
	}
}

func TestBooleanAndDates(t *testing.T) {
	r := func(s string) row { return row{map[string]int{"a": 0}, []string{s}} }
	for in, want := range map[string]bool{"oui": true, "Non": false, "yes": true, "": false} {
		if got, err := r(in).boolean("a"); err != nil || got != want {
			t.Errorf("boolean(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := r("peut-être").boolean("a"); err == nil {
		t.Error("boolean accepted peut-être")
	}
	if _, err := r("2026-13-01").date("a"); err == nil {
		t.Error("date accepted month 13")
	}
	if m, err := r("2026-09").month("a"); err != nil || m.Day() != 1 || m.Month() != 9 {
		t.Errorf("month = %v, %v", m, err)
	}
	if got := r(" a | b ||c ").list("a"); len(got) != 3 || got[2] != "c" {
		t.Errorf("list = %q", got)
	}
}
