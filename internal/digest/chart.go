package digest

// The digest's one chart: financial funding active in month M per resident,
// by quartier, with the partnership median. It is drawn with
// gonum.org/v1/plot, whose Liberation fonts are compiled in: no system font
// is needed, so the PNG is the same on any machine.

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/i18n"
	"github.com/pic-montreal/relais/internal/store"
)

// The chart's PNG is always ChartWidth × ChartHeight pixels, whatever the
// data, drawn at twice the usual resolution so text stays sharp in Slack.
const (
	ChartWidth  = 1600
	ChartHeight = 1100
	chartDPI    = 144
)

// Above maxChartBars quartiers, the chart shows the chartExtremes lowest and
// the chartExtremes highest: 1,000 bars would be unreadable, and the ends are
// where territorial inequity shows.
const (
	maxChartBars  = 30
	chartExtremes = 15
)

// chartBar is one quartier's bar: its funding in cents per resident.
type chartBar struct {
	Name        string
	PerResident float64
}

// chartData is what the chart shows, worked out apart from the drawing.
type chartData struct {
	// Bars are by funding per resident, lowest first, then by name. When
	// quartiers were cut, Gap is the index of the first bar after the cut
	// (the first of the highest), else -1.
	Bars []chartBar
	Gap  int
	// Median is over every quartier with a population, shown or not.
	Median float64
	// Known is how many quartiers have a population; Hidden how many of
	// them are cut; NoPopulation how many were left out for want of one.
	Known, Hidden, NoPopulation int
	// Funded: some quartier has funding in the month.
	Funded bool
}

func chartDataOf(rows []store.ResidentFunding) chartData {
	d := chartData{Gap: -1}
	for _, r := range rows {
		per, ok := r.PerResident()
		if !ok {
			d.NoPopulation++
			continue
		}
		d.Bars = append(d.Bars, chartBar{Name: r.Name, PerResident: per})
		d.Funded = d.Funded || r.Cents > 0
	}
	d.Known = len(d.Bars)
	slices.SortStableFunc(d.Bars, func(a, b chartBar) int {
		if a.PerResident != b.PerResident {
			if a.PerResident < b.PerResident {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	if n := len(d.Bars); n > 0 {
		if n%2 == 1 {
			d.Median = d.Bars[n/2].PerResident
		} else {
			d.Median = (d.Bars[n/2-1].PerResident + d.Bars[n/2].PerResident) / 2
		}
	}
	if n := len(d.Bars); n > maxChartBars {
		d.Hidden = n - 2*chartExtremes
		d.Bars = append(d.Bars[:chartExtremes:chartExtremes], d.Bars[n-chartExtremes:]...)
		d.Gap = chartExtremes
	}
	return d
}

var (
	chartFont   = font.Font{Typeface: "Liberation", Variant: "Sans"}
	barColor    = color.RGBA{R: 0x2b, G: 0x6c, B: 0xb0, A: 0xff}
	medianColor = color.RGBA{R: 0xd9, G: 0x48, B: 0x1c, A: 0xff}
	noteColor   = color.Gray{Y: 0x55}
)

// Chart draws month m's chart of financial funding per resident, by
// quartier, from FundingPerResident's rows, with its words in lang. It always
// gives a PNG of ChartWidth × ChartHeight: with no quartier to compare (none
// has a population, or none has funding in m), the PNG says so, so a digest
// always has its one chart and a re-send always replaces one file.
func Chart(m Month, rows []store.ResidentFunding, lang domain.Language) (png []byte, width, height int, err error) {
	d := chartDataOf(rows)
	var p *plot.Plot
	if msg := chartMessage(m, d, lang); msg != "" {
		p = messagePlot(msg)
	} else if p, err = barsPlot(d, lang); err != nil {
		return nil, 0, 0, fmt.Errorf("chart of %s: %w", m, err)
	}
	p.Title.Text = i18n.T(lang, "digest.chart.title", monthName(lang, m))
	p.Title.TextStyle.Font = font.From(chartFont, 16)
	p.Title.Padding = vg.Points(8)
	if d.NoPopulation > 0 || d.Hidden > 0 {
		// The notes go under the axis, where a reader looks for the units.
		var notes []string
		if p.X.Label.Text != "" {
			notes = append(notes, p.X.Label.Text)
		}
		if d.Hidden > 0 {
			notes = append(notes, i18n.T(lang, "digest.chart.extremes", chartExtremes, chartExtremes, i18n.Number(lang, int64(d.Known))))
		}
		if d.NoPopulation > 0 {
			notes = append(notes, i18n.N(lang, "digest.chart.no_population", d.NoPopulation))
		}
		p.X.Label.Text = strings.Join(notes, "\n")
	}

	c := vgimg.NewWith(vgimg.UseWH(vg.Length(ChartWidth)*vg.Inch/chartDPI, vg.Length(ChartHeight)*vg.Inch/chartDPI),
		vgimg.UseDPI(chartDPI))
	margin := vg.Points(12)
	p.Draw(draw.Crop(draw.New(c), margin, -margin, margin/2, -margin))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, 0, 0, fmt.Errorf("chart of %s: %w", m, err)
	}
	b := c.Image().Bounds()
	return buf.Bytes(), b.Dx(), b.Dy(), nil
}

// chartMessage is what the chart says instead of bars when there is nothing
// to compare, or "" when it draws bars.
func chartMessage(m Month, d chartData, lang domain.Language) string {
	switch {
	case d.Known == 0:
		return i18n.T(lang, "digest.chart.nothing_known")
	case !d.Funded:
		return i18n.T(lang, "digest.chart.nothing_funded", monthName(lang, m))
	}
	return ""
}

func monthName(lang domain.Language, m Month) string {
	return i18n.Month(lang, m.Year, int(m.Month))
}

// money is cents per resident, to the cent.
func money(lang domain.Language, cents float64) string {
	return i18n.MoneyCents(lang, int64(math.Round(cents)))
}

// barsPlot draws one horizontal bar per quartier, highest at the top, with
// its figure at the bar's end and the median as a dashed line.
func barsPlot(d chartData, lang domain.Language) (*plot.Plot, error) {
	p := plot.New()
	styleAxes(p)
	slots := len(d.Bars)
	if d.Gap >= 0 {
		slots++ // an empty row says how many quartiers are left out
	}
	values := make(plotter.Values, 0, slots)
	names := make([]string, 0, slots)
	labels := plotter.XYLabels{}
	most := d.Median
	for i, b := range d.Bars {
		if i == d.Gap {
			values = append(values, 0)
			names = append(names, i18n.T(lang, "digest.chart.gap", i18n.Number(lang, int64(d.Hidden))))
		}
		dollars := b.PerResident / 100
		values = append(values, dollars)
		names = append(names, shortName(b.Name))
		labels.XYs = append(labels.XYs, plotter.XY{X: dollars, Y: float64(len(values) - 1)})
		labels.Labels = append(labels.Labels, money(lang, b.PerResident))
		most = max(most, b.PerResident)
	}

	// The median goes first, under the bars and their figures, which stay legible.
	median, err := plotter.NewLine(plotter.XYs{{X: d.Median / 100, Y: -0.5}, {X: d.Median / 100, Y: float64(slots) - 0.5}})
	if err != nil {
		return nil, err
	}
	median.LineStyle = draw.LineStyle{Color: medianColor, Width: vg.Points(2), Dashes: []vg.Length{vg.Points(6), vg.Points(3)}}
	p.Add(median)

	// Bars fill most of their row: the data area is the canvas less the
	// title and the axis with its notes, about 190 points.
	row := (vg.Length(ChartHeight)*vg.Inch/chartDPI - 190) / vg.Length(slots)
	bars, err := plotter.NewBarChart(values, min(row*0.75, vg.Points(24)))
	if err != nil {
		return nil, err
	}
	bars.Horizontal = true
	bars.Color = barColor
	bars.LineStyle.Width = 0
	p.Add(bars)

	figures, err := plotter.NewLabels(labels)
	if err != nil {
		return nil, err
	}
	for i := range figures.TextStyle {
		figures.TextStyle[i].Font = font.From(chartFont, 9)
		figures.TextStyle[i].YAlign = draw.YCenter
	}
	figures.Offset = vg.Point{X: vg.Points(4)}
	p.Add(figures)

	p.Legend.Add(i18n.T(lang, "digest.chart.median", money(lang, d.Median)), median)
	p.Legend.TextStyle.Font = font.From(chartFont, 11)
	// Bottom right is over the lowest bars, the shortest ones.
	p.Legend.Top, p.Legend.Left = false, false

	p.NominalY(names...)
	p.Y.Tick.Label.Font = font.From(chartFont, 10)
	p.Y.Padding = 0
	p.X.Min = 0
	p.X.Max = most / 100 * 1.15 // room for the figure at the end of the longest bar
	p.X.Label.Text = i18n.T(lang, "digest.chart.axis")
	p.X.Tick.Marker = moneyTicks{lang: lang}
	return p, nil
}

func styleAxes(p *plot.Plot) {
	p.X.Label.TextStyle.Font = font.From(chartFont, 11)
	p.X.Label.TextStyle.Color = noteColor
	p.X.Tick.Label.Font = font.From(chartFont, 10)
	grid := plotter.NewGrid()
	grid.Horizontal.Width = 0 // vertical lines only: the bars are the rows
	p.Add(grid)
}

// messagePlot is a chart with no data: its message where the bars would be.
func messagePlot(message string) *plot.Plot {
	p := plot.New()
	styleAxes(p)
	p.HideAxes()
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = -1, 1, -1, 1
	l, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{}}, Labels: []string{message}})
	if err == nil { // one point and one label cannot mismatch
		l.TextStyle[0] = text.Style{Font: font.From(chartFont, 16), Color: noteColor,
			XAlign: draw.XCenter, YAlign: draw.YCenter, Handler: plot.DefaultTextHandler}
		p.Add(l)
	}
	return p
}

// moneyTicks is plot's default ticks, labelled in dollars and cents.
type moneyTicks struct{ lang domain.Language }

func (t moneyTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = money(t.lang, ticks[i].Value*100)
		}
	}
	return ticks
}

// shortName keeps a long quartier name from eating the bars' width.
func shortName(name string) string {
	const most = 34
	if utf8.RuneCountInString(name) <= most {
		return name
	}
	r := []rune(name)
	return strings.TrimSpace(string(r[:most-1])) + "…"
}
