package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Format is how a report is written.
type Format string

// The formats.
const (
	Table Format = "table" // aligned for a terminal, human units
	CSV   Format = "csv"   // a header row, then one row per group; seconds and fractions
	JSON  Format = "json"  // {"from","until","by","timezone","rows":[...]}
)

// ParseFormat reads a format's name.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case Table, CSV, JSON:
		return f, nil
	}
	return "", fmt.Errorf("%q is not table, csv or json", s)
}

// Write writes r to w in format f.
func Write(w io.Writer, r *Report, f Format) error {
	var err error
	switch f {
	case JSON:
		err = writeJSON(w, r)
	case CSV:
		err = writeCSV(w, r)
	default:
		err = writeTable(w, r)
	}
	if err != nil {
		return fmt.Errorf("report: writing %s: %w", f, err)
	}
	return nil
}

// groupJSON is a group's row in JSON: its key under the grouping's name.
type groupJSON struct {
	Arrivals         int64    `json:"arrivals"`
	Answered         int64    `json:"answered"`
	AnsweredInTarget int64    `json:"answered_within_target"`
	Abandoned        int64    `json:"abandoned"`
	ShortAbandoned   int64    `json:"short_abandoned"`
	ServiceLevel     *float64 `json:"service_level"`
	ASASeconds       *float64 `json:"asa_seconds"`
	AbandonmentRate  *float64 `json:"abandonment_rate"`
	CSATGood         int64    `json:"csat_good"`
	CSATBad          int64    `json:"csat_bad"`
}

// agentJSON is an agent's row in JSON.
type agentJSON struct {
	Source              string             `json:"source"`
	ID                  string             `json:"id"`
	Name                string             `json:"name"`
	Chats               int                `json:"chats"`
	FirstResponseMedian *float64           `json:"first_response_median_seconds"`
	FirstResponseP90    *float64           `json:"first_response_p90_seconds"`
	DurationMedian      *float64           `json:"duration_median_seconds"`
	CSATGood            int                `json:"csat_good"`
	CSATBad             int                `json:"csat_bad"`
	OnlineSeconds       float64            `json:"online_seconds"`
	AwaySeconds         float64            `json:"away_seconds"`
	OfflineSeconds      float64            `json:"offline_seconds"`
	UnknownSeconds      float64            `json:"unknown_seconds"`
	AwayByReason        map[string]float64 `json:"away_by_reason"`
}

func writeJSON(w io.Writer, r *Report) error {
	rows := []any{}
	for _, g := range r.Groups {
		p := g.Period
		row := groupJSON{Arrivals: p.Arrivals, Answered: p.Answered, AnsweredInTarget: p.AnsweredInTarget,
			Abandoned: p.Abandoned, ShortAbandoned: p.ShortAbandoned, ServiceLevel: p.ServiceLevel,
			ASASeconds: p.ASASeconds, AbandonmentRate: p.AbandonmentRate, CSATGood: p.CSATGood, CSATBad: p.CSATBad}
		// The key first, under the grouping's name.
		b, err := json.Marshal(row)
		if err != nil {
			return err
		}
		k, err := json.Marshal(g.Key)
		if err != nil {
			return err
		}
		rows = append(rows, json.RawMessage(`{"`+string(r.By)+`":`+string(k)+`,`+string(b[1:])))
	}
	// Seconds to the millisecond: sums of many spans carry float noise.
	ms := func(v float64) float64 { return round(v, 3) }
	msp := func(v *float64) *float64 {
		if v == nil {
			return nil
		}
		r := ms(*v)
		return &r
	}
	for _, a := range r.Agents {
		reasons := map[string]float64{}
		for k, v := range a.AwayByReason {
			reasons[k] = ms(v)
		}
		rows = append(rows, agentJSON{Source: string(a.Source), ID: a.ID, Name: a.Name, Chats: a.Chats,
			FirstResponseMedian: msp(a.FirstResponseMedian), FirstResponseP90: msp(a.FirstResponseP90),
			DurationMedian: msp(a.DurationMedian), CSATGood: a.CSATGood, CSATBad: a.CSATBad,
			OnlineSeconds: ms(a.OnlineSeconds), AwaySeconds: ms(a.AwaySeconds), OfflineSeconds: ms(a.OfflineSeconds),
			UnknownSeconds: ms(a.UnknownSeconds), AwayByReason: reasons})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		From     time.Time `json:"from"`
		Until    time.Time `json:"until"`
		By       By        `json:"by"`
		Timezone string    `json:"timezone"`
		Rows     []any     `json:"rows"`
	}{r.From, r.Until, r.By, r.Timezone, rows})
}

// cell is one value of a row, written per format.
type cell struct {
	s     string   // a text
	n     *float64 // or a number (nil with s "": no value)
	kind  unit
	isNum bool
}

type unit uint8

const (
	count   unit = iota // a whole number
	seconds             // a duration in seconds
	share               // a fraction, shown as a percentage
)

func text(s string) cell { return cell{s: s} }

func num(v float64, k unit) cell { return cell{n: &v, kind: k, isNum: true} }

func opt(v *float64, k unit) cell { return cell{n: v, kind: k, isNum: true} }

// grid is the report as a header and rows of cells.
func grid(r *Report) (header []string, rows [][]cell) {
	if r.By != ByAgent {
		header = []string{string(r.By), "arrivals", "answered", "answered_within_target", "abandoned",
			"short_abandoned", "service_level", "asa_seconds", "abandonment_rate", "csat_good", "csat_bad"}
		for _, g := range r.Groups {
			p := g.Period
			rows = append(rows, []cell{text(g.Key), num(float64(p.Arrivals), count), num(float64(p.Answered), count),
				num(float64(p.AnsweredInTarget), count), num(float64(p.Abandoned), count),
				num(float64(p.ShortAbandoned), count), opt(p.ServiceLevel, share), opt(p.ASASeconds, seconds),
				opt(p.AbandonmentRate, share), num(float64(p.CSATGood), count), num(float64(p.CSATBad), count)})
		}
		return header, rows
	}
	reasons := map[string]bool{}
	for _, a := range r.Agents {
		for k := range a.AwayByReason {
			reasons[k] = true
		}
	}
	names := slices.Sorted(maps.Keys(reasons))
	header = []string{"source", "id", "name", "chats", "first_response_median_seconds", "first_response_p90_seconds",
		"duration_median_seconds", "csat_good", "csat_bad", "online_seconds", "away_seconds", "offline_seconds",
		"unknown_seconds"}
	for _, n := range names {
		header = append(header, "away:"+n)
	}
	for _, a := range r.Agents {
		row := []cell{text(string(a.Source)), text(a.ID), text(a.Name), num(float64(a.Chats), count),
			opt(a.FirstResponseMedian, seconds), opt(a.FirstResponseP90, seconds), opt(a.DurationMedian, seconds),
			num(float64(a.CSATGood), count), num(float64(a.CSATBad), count), num(a.OnlineSeconds, seconds),
			num(a.AwaySeconds, seconds), num(a.OfflineSeconds, seconds), num(a.UnknownSeconds, seconds)}
		for _, n := range names {
			row = append(row, num(a.AwayByReason[n], seconds))
		}
		rows = append(rows, row)
	}
	return header, rows
}

func writeCSV(w io.Writer, r *Report) error {
	header, rows := grid(r)
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	rec := make([]string, len(header))
	for _, row := range rows {
		for i, c := range row {
			switch {
			case !c.isNum:
				rec[i] = c.s
			case c.n == nil:
				rec[i] = ""
			default:
				rec[i] = strconv.FormatFloat(round(*c.n, 3), 'f', -1, 64)
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// round rounds v to places decimal places.
func round(v float64, places int) float64 {
	p := math.Pow10(places)
	return math.Round(v*p) / p
}

func writeTable(w io.Writer, r *Report) error {
	header, rows := grid(r)
	fmt.Fprintf(w, "chatdeck report by %s, %s to %s (%s)\n\n", r.By, r.From.In(loc(r)).Format(time.RFC3339),
		r.Until.In(loc(r)).Format(time.RFC3339), r.Timezone)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	titles := make([]string, len(header))
	for i, h := range header {
		titles[i] = title(h)
	}
	fmt.Fprintln(tw, strings.Join(titles, "\t"))
	for _, row := range rows {
		vals := make([]string, len(row))
		for i, c := range row {
			vals[i] = human(c)
			if i == 0 && r.By == ByDepartment && c.s == "" {
				vals[i] = "(none)"
			}
		}
		fmt.Fprintln(tw, strings.Join(vals, "\t"))
	}
	if len(rows) == 0 {
		fmt.Fprintln(tw, "(nothing in this span)")
	}
	return tw.Flush()
}

// loc is the report's zone, for its header (UTC when unknown).
func loc(r *Report) *time.Location {
	if r.Board != nil && r.Board.Config().Location != nil {
		return r.Board.Config().Location
	}
	return time.UTC
}

// title is a column's name as a table's heading.
func title(h string) string {
	h = strings.TrimSuffix(h, "_seconds")
	h = strings.NewReplacer("first_response", "first_resp", "answered_within_target", "in_target",
		"short_abandoned", "short_aband", "abandonment_rate", "aband_rate", "service_level", "sl").Replace(h)
	if strings.HasPrefix(h, "away:") {
		return "AWAY:" + h[len("away:"):]
	}
	return strings.ToUpper(strings.ReplaceAll(h, "_", " "))
}

// human is a cell in a table: percentages, durations, "–" for none.
func human(c cell) string {
	switch {
	case !c.isNum:
		return c.s
	case c.n == nil:
		return "–"
	}
	v := *c.n
	switch c.kind {
	case share:
		return strconv.FormatFloat(round(v*100, 1), 'f', -1, 64) + "%"
	case seconds:
		return humanSeconds(v)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// humanSeconds is 0s, 12s, 4m05s or 3h02m.
func humanSeconds(v float64) string {
	s := int64(math.Round(v))
	switch {
	case s < 60:
		if v > 0 && v < 10 && s != int64(v) {
			return strconv.FormatFloat(round(v, 1), 'f', -1, 64) + "s"
		}
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	}
	return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
}
