package digest

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/store"
)

var october = Month{2026, 10}

// quartiers makes n quartiers whose funding per resident is 1, 2, … n cents
// (population 1,000), listed from the highest, so order is the chart's doing.
func quartiers(n int) []store.ResidentFunding {
	rows := make([]store.ResidentFunding, n)
	for i := range rows {
		k := n - i
		rows[i] = store.ResidentFunding{QuartierID: int64(k), Name: fmt.Sprintf("Quartier %04d", k), Population: 1000, Cents: int64(k) * 1000}
	}
	return rows
}

// decode checks that b is a PNG of the chart's size.
func decode(t *testing.T, b []byte, w, h int) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if got := img.Bounds(); got.Dx() != ChartWidth || got.Dy() != ChartHeight || w != ChartWidth || h != ChartHeight {
		t.Fatalf("PNG is %dx%d, Chart said %dx%d, want %dx%d", got.Dx(), got.Dy(), w, h, ChartWidth, ChartHeight)
	}
	if dir := os.Getenv("RELAIS_CHART_DIR"); dir != "" { // to look at them
		os.WriteFile(filepath.Join(dir, t.Name()[len("TestChart")+1:]+".png"), b, 0o644)
	}
}

func TestChartData(t *testing.T) {
	t.Run("up to 30 quartiers, all shown, lowest first", func(t *testing.T) {
		d := chartDataOf(quartiers(30))
		if len(d.Bars) != 30 || d.Gap != -1 || d.Hidden != 0 || d.Known != 30 {
			t.Fatalf("%d bars, gap %d, hidden %d, known %d", len(d.Bars), d.Gap, d.Hidden, d.Known)
		}
		if d.Bars[0].Name != "Quartier 0001" || d.Bars[29].Name != "Quartier 0030" {
			t.Errorf("bars from %s to %s", d.Bars[0].Name, d.Bars[29].Name)
		}
		if d.Median != 15.5 { // between 15 and 16 cents
			t.Errorf("median %v, want 15.5", d.Median)
		}
	})
	t.Run("above 30, the 15 lowest and the 15 highest", func(t *testing.T) {
		d := chartDataOf(quartiers(31))
		if len(d.Bars) != 30 || d.Gap != 15 || d.Hidden != 1 {
			t.Fatalf("%d bars, gap %d, hidden %d", len(d.Bars), d.Gap, d.Hidden)
		}
		if d.Bars[14].Name != "Quartier 0015" || d.Bars[15].Name != "Quartier 0017" {
			t.Errorf("around the gap: %s, %s", d.Bars[14].Name, d.Bars[15].Name)
		}
		if d.Median != 16 { // of all 31, the cut one included
			t.Errorf("median %v, want 16", d.Median)
		}
		d = chartDataOf(quartiers(1000))
		if len(d.Bars) != 30 || d.Hidden != 970 || d.Bars[0].Name != "Quartier 0001" || d.Bars[29].Name != "Quartier 1000" {
			t.Errorf("1,000: %d bars, hidden %d, %s to %s", len(d.Bars), d.Hidden, d.Bars[0].Name, d.Bars[29].Name)
		}
		if d.Median != 500.5 {
			t.Errorf("1,000: median %v, want 500.5", d.Median)
		}
	})
	t.Run("quartiers without population left out and counted", func(t *testing.T) {
		rows := append(quartiers(3),
			store.ResidentFunding{Name: "Sans population", Cents: 1e9},
			store.ResidentFunding{Name: "Sans population 2"})
		d := chartDataOf(rows)
		if len(d.Bars) != 3 || d.NoPopulation != 2 || d.Known != 3 || d.Median != 2 {
			t.Errorf("%+v", d)
		}
	})
	t.Run("ties by name, unfunded quartiers kept at zero", func(t *testing.T) {
		d := chartDataOf([]store.ResidentFunding{
			{Name: "B", Population: 10}, {Name: "A", Population: 10}, {Name: "C", Population: 10, Cents: 5}})
		if d.Bars[0].Name != "A" || d.Bars[1].Name != "B" || d.Bars[2].PerResident != 0.5 || !d.Funded || d.Median != 0 {
			t.Errorf("%+v", d)
		}
		if chartDataOf([]store.ResidentFunding{{Name: "A", Population: 10}}).Funded {
			t.Error("no cents, yet funded")
		}
	})
}

func TestChartWords(t *testing.T) {
	if got := chartMessage(october, chartDataOf(nil), domain.French); got != "Rien à montrer : aucun quartier n'a de population connue" {
		t.Errorf("no data, fr: %q", got)
	}
	unfunded := chartDataOf([]store.ResidentFunding{{Name: "Verdun", Population: 1000}})
	if got := chartMessage(october, unfunded, domain.English); got != "No financial funding active in a quartier in October 2026" {
		t.Errorf("no funding, en: %q", got)
	}
	if got := chartMessage(october, chartDataOf(quartiers(2)), domain.English); got != "" {
		t.Errorf("bars to draw, yet the message %q", got)
	}
	// Per-resident figures are cents, formatted the Canadian way.
	if got := money(domain.French, 1234.4); got != "12,34\u00a0$" {
		t.Errorf("fr: %q", got)
	}
	if got := money(domain.English, 1234.5); got != "$12.35" {
		t.Errorf("en: %q", got)
	}
}

func TestChart(t *testing.T) {
	for _, c := range []struct {
		name string
		rows []store.ResidentFunding
	}{
		{"17 quartiers", quartiers(17)},
		{"1000 quartiers", append(quartiers(1000), store.ResidentFunding{Name: "Sans population"})},
		{"no population", []store.ResidentFunding{{Name: "Verdun", Cents: 500}}},
		{"no funding", []store.ResidentFunding{{Name: "Verdun", Population: 1000}}},
		{"nothing", nil},
	} {
		for _, lang := range []domain.Language{domain.French, domain.English} {
			t.Run(c.name+" "+string(lang), func(t *testing.T) {
				b, w, h, err := Chart(october, c.rows, lang)
				if err != nil {
					t.Fatal(err)
				}
				decode(t, b, w, h)
			})
		}
	}
}

// BenchmarkChart draws the chart of 1,000 quartiers (docs/performance.md).
func BenchmarkChart(b *testing.B) {
	rows := quartiers(1000)
	for b.Loop() {
		if _, _, _, err := Chart(october, rows, domain.French); err != nil {
			b.Fatal(err)
		}
	}
}
