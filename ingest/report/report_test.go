package report_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/fixtures/traffic"
	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/event"
	"github.com/chatdeck/chatdeck/ingest/hub"
	"github.com/chatdeck/chatdeck/ingest/journal"
	"github.com/chatdeck/chatdeck/ingest/report"
)

// zone is the tests' time zone: not UTC, so that days and hours are the
// zone's.
var zone = time.FixedZone("UTC+2", 2*3600)

// scenarioStart: the scenario starts at 21:00 in zone and runs over
// midnight.
var scenarioStart = time.Date(2026, 3, 1, 21, 0, 0, 0, zone)

// liveJournal journals n webhooks of the demo scenario through a real hub
// (as serve does: decoded, deduplicated, group-committed, applied to its
// board in journal order) and returns the hub, still open, and the
// journal's path.
func liveJournal(t *testing.T, n int) (*hub.Hub, string) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "journal.db")
	h, err := hub.Open(ctx, hub.Config{Journal: journal.Options{Path: path}, Board: board.Config{Location: zone},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), CheckpointEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	hooks, err := traffic.Scenario(7, scenarioStart, n, 1)
	if err != nil {
		t.Fatal(err)
	}
	// Several ingests in flight, as webhooks come: the board applies them
	// in journal order whatever order they commit in.
	work := make(chan traffic.Webhook)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for w := range work {
				ev, err := traffic.Decode(w)
				if err == nil {
					_, err = h.Ingest(ctx, &ev, w.Hint)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for _, w := range hooks {
		work <- w
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return h, path
}

func run(t *testing.T, path string, opts report.Options) *report.Report {
	t.Helper()
	ctx := context.Background()
	r, err := journal.OpenReader(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	opts.Board.Location = zone
	rep, err := report.Run(ctx, r, opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestTotalsEqualTheBoard is the check: a report of today, by
// every grouping, adds up to the live board's own today (arrivals,
// answered, in target, abandoned, short abandoned, ratings) on the same
// journal, read beside the running hub; by agent, each agent's row is the
// board's own today and window figures for them.
func TestTotalsEqualTheBoard(t *testing.T) {
	h, path := liveJournal(t, 5000)
	var now time.Time
	var today board.Period
	var window board.Period
	agents := map[string][2]board.AgentPeriod{}
	h.Read(func(b *board.Board) {
		now = b.Metrics(time.Time{}).At
		for _, src := range b.Sources() {
			if src.LastEventAt.After(now) {
				now = src.LastEventAt
			}
		}
		now = now.Add(time.Minute)
		m := b.Metrics(now)
		today, window = m.Today, m.Window
		for _, a := range b.Agents() {
			td, wd, _ := b.AgentToday(a.Source, a.ID, now)
			agents[string(a.Source)+"/"+a.ID] = [2]board.AgentPeriod{td, wd}
		}
	})
	if today.Arrivals < 100 || today.Answered < 50 || today.Abandoned+today.ShortAbandoned == 0 || today.CSATGood == 0 {
		t.Fatalf("the scenario's today is too thin to test on: %+v", today)
	}
	midnight := report.Midnight(now, zone)
	if !midnight.After(scenarioStart) {
		t.Fatalf("the scenario did not run over midnight: now %v", now)
	}
	for _, by := range []report.By{report.BySource, report.ByDepartment, report.ByHour, report.ByDay} {
		rep := run(t, path, report.Options{Since: midnight, Until: now, By: by})
		var sum board.Counts
		for _, g := range rep.Groups {
			sum.Add(g.Counts)
		}
		got := board.PeriodOf(midnight, sum)
		if g, w := mustJSON(t, got), mustJSON(t, today); g != w {
			t.Errorf("by %s, the groups add up to\n %s\nthe board's today is\n %s", by, g, w)
		}
		if by == report.ByDay && (len(rep.Groups) != 1 || rep.Groups[0].Key != midnight.Format(time.DateOnly)) {
			t.Errorf("by day: %d groups, first %+v", len(rep.Groups), rep.Groups[0])
		}
	}
	rep := run(t, path, report.Options{Since: now.Add(-30 * time.Minute), Until: now, By: report.BySource})
	var sum board.Counts
	for _, g := range rep.Groups {
		sum.Add(g.Counts)
	}
	if got := board.PeriodOf(now.Add(-30*time.Minute), sum); got.Answered != window.Answered || got.Abandoned != window.Abandoned {
		// (The window is (now − 30 min, now]; a count at its very start
		// is the only way these could differ.)
		t.Logf("window: report %+v, board %+v", got, window)
	}

	for i, since := range []time.Time{midnight, now.Add(-30 * time.Minute)} {
		rep := run(t, path, report.Options{Since: since, Until: now, By: report.ByAgent})
		if len(rep.Agents) != len(agents) {
			t.Fatalf("by agent: %d rows, the board has %d agents", len(rep.Agents), len(agents))
		}
		chats := 0
		for _, a := range rep.Agents {
			want := agents[string(a.Source)+"/"+a.ID][i]
			if g, w := mustJSON(t, a.AgentPeriod), mustJSON(t, want); g != w {
				t.Errorf("agent %s/%s since %v:\n report %s\n board  %s", a.Source, a.ID, since, g, w)
			}
			chats += a.Chats
		}
		if i == 0 && chats == 0 {
			t.Error("no agent took a chat today: nothing was compared")
		}
	}
}

// day's events (in zone, UTC+2): what each group must show is in the
// comments.
func dayEvents() []*event.Event {
	at := func(h, m, s int) time.Time { return time.Date(2026, 3, 2, h, m, s, 0, zone) }
	ev := func(kind event.Kind, id string, recv time.Time, dept string, agents ...string) *event.Event {
		e := &event.Event{Source: event.Comm100, Kind: kind, ChatID: id, ReceivedAt: recv}
		if dept != "" {
			e.Department = &event.Department{Name: dept}
		}
		for _, a := range agents {
			e.Agents = append(e.Agents, event.Agent{ID: a, Name: strings.ToUpper(a)})
		}
		return e
	}
	rated := ev(event.Feedback, "c1", at(10, 40, 0), "")
	rated.Rating = &event.Rating{Sentiment: event.Good, Value: "5"}
	jivo := ev(event.ChatAccepted, "j1", at(9, 30, 0), "", "ann")
	jivo.Source = event.JivoChat
	evs := []*event.Event{
		ev(event.ChatRequested, "y1", at(7, 0, 0), "Sales"),         // before the span
		ev(event.ChatRequested, "c1", at(8, 59, 0), "Sales"),        // 08: arrival
		ev(event.ChatStarted, "c1", at(9, 0, 0), "Sales", "ann"),    // 09: answered after 60 s
		ev(event.ChatRequested, "c2", at(9, 10, 0), "Support"),      // 09: arrival
		ev(event.ChatStarted, "c2", at(9, 10, 20), "Support", "bo"), // 09: answered in 20 s
		jivo, // 09: jivochat arrival, answered, wait unknown
		ev(event.ChatRequested, "c3", at(10, 5, 0), ""),       // 10: arrival, no department
		ev(event.ChatEnded, "c3", at(10, 5, 2), ""),           // 10: short abandon
		ev(event.ChatRequested, "c4", at(10, 30, 0), "Sales"), // 10: arrival
		ev(event.ChatEnded, "c4", at(10, 32, 0), "Sales"),     // 10: abandoned
		rated, // 10: good rating, Sales
		ev(event.ChatRequested, "z1", at(11, 0, 0), "Sales"), // after the span
	}
	for i, e := range evs {
		e.Seq = int64(i + 1)
	}
	return evs
}

// collect applies dayEvents to a board observed by a collector for the
// span 08:30–10:45 and returns the report.
func collect(t *testing.T, by report.By) *report.Report {
	t.Helper()
	opts := report.Options{Board: board.Config{Location: zone}, By: by,
		Since: time.Date(2026, 3, 2, 8, 30, 0, 0, zone), Until: time.Date(2026, 3, 2, 10, 45, 0, 0, zone)}
	c := report.NewCollector(opts)
	cfg := opts.Board
	cfg.Observer = c
	b := board.New(cfg)
	for _, e := range dayEvents() {
		b.Apply(e)
	}
	return c.Report(b)
}

// row is a group's figures, compactly.
func row(g report.GroupRow) string {
	p := g.Period
	f := func(v *float64) string {
		if v == nil {
			return "-"
		}
		return strings.TrimRight(strings.TrimRight(strconv.FormatFloat(*v, 'f', 3, 64), "0"), ".")
	}
	return fmt.Sprintf("%s arr=%d ans=%d in=%d ab=%d short=%d sl=%s asa=%s abr=%s good=%d bad=%d", g.Key,
		p.Arrivals, p.Answered, p.AnsweredInTarget, p.Abandoned, p.ShortAbandoned, f(p.ServiceLevel),
		f(p.ASASeconds), f(p.AbandonmentRate), p.CSATGood, p.CSATBad)
}

// TestGroups: each grouping puts each count where the board placed it, in
// the zone: every hour and day of the span listed (empty ones too, the
// first one partial), departments by name with the chats that have none
// last, sources by name.
func TestGroups(t *testing.T) {
	want := map[report.By][]string{
		report.ByHour: {
			"2026-03-02T08:00:00+02:00 arr=1 ans=0 in=0 ab=0 short=0 sl=- asa=- abr=- good=0 bad=0",
			"2026-03-02T09:00:00+02:00 arr=2 ans=3 in=1 ab=0 short=0 sl=0.5 asa=40 abr=0 good=0 bad=0",
			"2026-03-02T10:00:00+02:00 arr=2 ans=0 in=0 ab=1 short=1 sl=0 asa=- abr=1 good=1 bad=0",
		},
		report.ByDay: {
			"2026-03-02 arr=5 ans=3 in=1 ab=1 short=1 sl=0.333 asa=40 abr=0.25 good=1 bad=0",
		},
		report.ByDepartment: {
			"Sales arr=2 ans=1 in=0 ab=1 short=0 sl=0 asa=60 abr=0.5 good=1 bad=0",
			"Support arr=1 ans=1 in=1 ab=0 short=0 sl=1 asa=20 abr=0 good=0 bad=0",
			" arr=2 ans=1 in=0 ab=0 short=1 sl=- asa=- abr=0 good=0 bad=0",
		},
		report.BySource: {
			"comm100 arr=4 ans=2 in=1 ab=1 short=1 sl=0.333 asa=40 abr=0.333 good=1 bad=0",
			"jivochat arr=1 ans=1 in=0 ab=0 short=0 sl=- asa=- abr=0 good=0 bad=0",
		},
	}
	for by, rows := range want {
		rep := collect(t, by)
		var got []string
		for _, g := range rep.Groups {
			got = append(got, row(g))
		}
		if strings.Join(got, "\n") != strings.Join(rows, "\n") {
			t.Errorf("by %s:\n%s\nwant\n%s", by, strings.Join(got, "\n"), strings.Join(rows, "\n"))
		}
	}
	// An hour across the clocks going back is two rows, none merged.
	lon, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Skipf("no tzdata: %v", err)
	}
	c := report.NewCollector(report.Options{Board: board.Config{Location: lon}, By: report.ByHour,
		Since: time.Date(2026, 10, 25, 0, 0, 0, 0, lon), Until: time.Date(2026, 10, 25, 3, 0, 0, 0, lon)})
	var keys []string
	for _, g := range c.Report(board.New(board.Config{Location: lon})).Groups {
		keys = append(keys, g.Key)
	}
	if w := "2026-10-25T00:00:00+01:00 2026-10-25T01:00:00+01:00 2026-10-25T01:00:00Z 2026-10-25T02:00:00Z 2026-10-25T03:00:00Z"; strings.Join(keys, " ") != w {
		t.Errorf("hours over the change:\n %s\nwant\n %s", strings.Join(keys, " "), w)
	}
}

// TestFormats writes one report in the three formats: JSON has from,
// until, by, timezone and the rows keyed by the grouping; CSV a header and
// a row per group, with empty cells for ratios with nothing to divide;
// the table is aligned, with "–" for those.
func TestFormats(t *testing.T) {
	rep := collect(t, report.ByDepartment)
	var buf bytes.Buffer
	if err := report.Write(&buf, rep, report.JSON); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		From, Until time.Time
		By          string
		Timezone    string
		Rows        []map[string]any
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if doc.By != "department" || doc.Timezone != "UTC+2" || !doc.From.Equal(rep.From) || !doc.Until.Equal(rep.Until) || len(doc.Rows) != 3 {
		t.Fatalf("json: %s", buf.String())
	}
	if r := doc.Rows[0]; r["department"] != "Sales" || r["arrivals"] != 2.0 || r["service_level"] != 0.0 || r["asa_seconds"] != 60.0 || r["csat_good"] != 1.0 {
		t.Errorf("json row 0: %v", r)
	}
	if r := doc.Rows[2]; r["department"] != "" || r["service_level"] != nil || r["short_abandoned"] != 1.0 {
		t.Errorf("json row 2: %v", r)
	}

	buf.Reset()
	if err := report.Write(&buf, rep, report.CSV); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantCSV := [][]string{
		{"department", "arrivals", "answered", "answered_within_target", "abandoned", "short_abandoned", "service_level", "asa_seconds", "abandonment_rate", "csat_good", "csat_bad"},
		{"Sales", "2", "1", "0", "1", "0", "0", "60", "0.5", "1", "0"},
		{"Support", "1", "1", "1", "0", "0", "1", "20", "0", "0", "0"},
		{"", "2", "1", "0", "0", "1", "", "", "0", "0", "0"},
	}
	if mustJSON(t, recs) != mustJSON(t, wantCSV) {
		t.Errorf("csv:\n%v\nwant\n%v", recs, wantCSV)
	}

	buf.Reset()
	if err := report.Write(&buf, rep, report.Table); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	if len(lines) != 6 || !strings.HasPrefix(lines[0], "chatdeck report by department, 2026-03-02T08:30:00+02:00 to 2026-03-02T10:45:00+02:00") {
		t.Fatalf("table:\n%s", buf.String())
	}
	head, sales, none := lines[2], lines[3], lines[5]
	for _, w := range []string{"DEPARTMENT", "ARRIVALS", "SL", "ASA", "ABAND RATE", "CSAT GOOD"} {
		if !strings.Contains(head, w) {
			t.Errorf("table header lacks %s: %q", w, head)
		}
	}
	if col := strings.Index(head, "ASA"); col < 0 || !strings.HasPrefix(sales[col:], "1m00s") {
		t.Errorf("table: ASA column not aligned:\n%s\n%s", head, sales)
	}
	if !strings.HasPrefix(none, "(none)") || !strings.Contains(none, "–") || !strings.Contains(sales, "50%") {
		t.Errorf("table rows:\n%s\n%s", sales, none)
	}
}

// TestAgentRows: by agent, each agent the board knows, with the chats
// they took in the span (Ann two: a Comm100 and a JivoChat one are two
// agents, by source), and status time with unknown before any presence.
func TestAgentRows(t *testing.T) {
	rep := collect(t, report.ByAgent)
	var got []string
	for _, a := range rep.Agents {
		got = append(got, fmt.Sprintf("%s/%s %s chats=%d unknown=%v", a.Source, a.ID, a.Name, a.Chats, a.UnknownSeconds))
	}
	want := "comm100/ann ANN chats=1 unknown=8100 comm100/bo BO chats=1 unknown=8100 jivochat/ann ANN chats=1 unknown=8100"
	if strings.Join(got, " ") != want {
		t.Errorf("agents:\n %s\nwant\n %s", strings.Join(got, " "), want)
	}
	var buf bytes.Buffer
	if err := report.Write(&buf, rep, report.CSV); err != nil {
		t.Fatal(err)
	}
	if h := strings.SplitN(buf.String(), "\n", 2)[0]; h != "source,id,name,chats,first_response_median_seconds,first_response_p90_seconds,duration_median_seconds,csat_good,csat_bad,online_seconds,away_seconds,offline_seconds,unknown_seconds" {
		t.Errorf("agent csv header %q", h)
	}
}

// TestAgentStatusInSpan: status time within the span from the changes the
// board was told, a status carried in from before the span, one told late
// (placed when it happened), one after the span ignored, and away by
// reason in every format.
func TestAgentStatusInSpan(t *testing.T) {
	h := func(x float64) time.Time {
		return time.Date(2026, 3, 2, 0, 0, 0, 0, zone).Add(time.Duration(x * float64(time.Hour)))
	}
	st := func(s event.AgentStatus, name string, recv, vendor time.Time) *event.Event {
		return &event.Event{Source: event.Comm100, Kind: event.AgentStatusChanged, ReceivedAt: recv, OccurredAt: vendor,
			Agents: []event.Agent{{ID: "a1", Name: "Ann", Status: s, StatusName: name}}}
	}
	evs := []*event.Event{
		st(event.AgentOnline, "Online", h(-3), time.Time{}), // the day before: carried over midnight
		st(event.AgentAway, "Meeting", h(9), time.Time{}),
		st(event.AgentOnline, "Online", h(10), time.Time{}),
		st(event.AgentAway, "Lunch", h(13), h(12)), // told an hour late
		st(event.AgentOffline, "Offline", h(14), time.Time{}),
		st(event.AgentOnline, "Online", h(20), time.Time{}), // after the span
	}
	opts := report.Options{Board: board.Config{Location: zone}, By: report.ByAgent, Since: h(8), Until: h(16)}
	c := report.NewCollector(opts)
	cfg := opts.Board
	cfg.Observer = c
	b := board.New(cfg)
	for _, e := range evs {
		b.Apply(e)
	}
	rep := c.Report(b)
	if len(rep.Agents) != 1 {
		t.Fatalf("%d agents", len(rep.Agents))
	}
	a := rep.Agents[0]
	if a.OnlineSeconds != 3*3600 || a.AwaySeconds != 3*3600 || a.OfflineSeconds != 2*3600 || a.UnknownSeconds != 0 ||
		a.AwayByReason["Meeting"] != 3600 || a.AwayByReason["Lunch"] != 2*3600 {
		t.Errorf("status time %+v", a.AgentPeriod)
	}
	var buf bytes.Buffer
	if err := report.Write(&buf, rep, report.CSV); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatalf("csv %v %v", recs, err)
	}
	if g := strings.Join(recs[0][9:], ","); g != "online_seconds,away_seconds,offline_seconds,unknown_seconds,away:Lunch,away:Meeting" {
		t.Errorf("csv reason columns %s", g)
	}
	if g := strings.Join(recs[1][9:], ","); g != "10800,10800,7200,0,7200,3600" {
		t.Errorf("csv reason values %s", g)
	}
	buf.Reset()
	if err := report.Write(&buf, rep, report.Table); err != nil {
		t.Fatal(err)
	}
	if !contains(buf.String(), "AWAY:Lunch", "AWAY:Meeting", "3h00m", "2h00m", "1h00m") {
		t.Errorf("table:\n%s", buf.String())
	}
}

func contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// TestParseWhen: the three forms of a bound, and what is refused.
func TestParseWhen(t *testing.T) {
	now := time.Date(2026, 12, 5, 15, 30, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"2026-12-01T08:00:00Z":      time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC),
		"2026-12-01T08:00:00+02:00": time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC),
		"2026-12-01":                time.Date(2026, 12, 1, 0, 0, 0, 0, zone),
		"24h":                       now.Add(-24 * time.Hour),
		"90m":                       now.Add(-90 * time.Minute),
		"7d":                        now.Add(-7 * 24 * time.Hour),
		"1d12h":                     now.Add(-36 * time.Hour),
		"0s":                        now,
	} {
		got, err := report.ParseWhen(in, now, zone)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseWhen(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "yesterday", "-1h", "7", "2026-13-01", "d", "7dd", "+5h", "1.5d"} {
		if got, err := report.ParseWhen(in, now, zone); err == nil {
			t.Errorf("ParseWhen(%q) = %v, want an error", in, got)
		}
	}
	if m := report.Midnight(now, zone); !m.Equal(time.Date(2026, 12, 5, 0, 0, 0, 0, zone)) {
		t.Errorf("Midnight = %v", m)
	}
}
