package board_test

import (
	"encoding/json"
	"math"
	"sort"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/fixtures/traffic"
	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/event"
)

// TestTrendAgainstReference: every point of the trend of a demo day against
// the reference model: the queue, active chats and longest wait at the
// minute's start are the model's for the events received before it; the
// arrivals are the chats the model places in the minute; the window's
// service level, ASA and abandonment are the model's at the minute's end.
func TestTrendAgainstReference(t *testing.T) {
	start := time.Date(2025, 3, 4, 8, 0, 0, 0, time.UTC)
	evs, err := traffic.Events(1, start, 2500, 4)
	if err != nil {
		t.Fatal(err)
	}
	cfg := board.DefaultConfig()
	cfg.Location = time.UTC
	b := board.New(cfg)
	for i := range evs {
		b.Apply(&evs[i])
	}
	now := evs[len(evs)-1].ReceivedAt.Add(90 * time.Second)
	span := now.Sub(evs[0].ReceivedAt) + 2*time.Minute
	if span > 3*time.Hour || span < 30*time.Minute {
		t.Fatalf("the demo run spans %v: want between half an hour and three hours of trend to compare", span)
	}
	points := b.Trend(now, span)
	if want := int(span / time.Minute); len(points) != want {
		t.Fatalf("%d points, want %d", len(points), want)
	}
	all := referenceMetrics(cfg, evs, now)
	received := func(before time.Time) []event.Event {
		n := sort.Search(len(evs), func(i int) bool { return !evs[i].ReceivedAt.Before(before) })
		return evs[:n]
	}
	firstMinute := evs[0].ReceivedAt.Truncate(time.Minute)
	unknown, checked := 0, 0
	for i, p := range points {
		if i > 0 && !p.At.Equal(points[i-1].At.Add(time.Minute)) {
			t.Fatalf("point %d at %v follows %v: want one a minute", i, p.At, points[i-1].At)
		}
		end := p.At.Add(time.Minute)
		if end.After(now) {
			end = now
		}
		if !p.At.After(firstMinute) {
			if p.Known {
				t.Errorf("%v: known before the board's first event (%v)", p.At, evs[0].ReceivedAt)
			}
			unknown++
		} else {
			if !p.Known {
				t.Errorf("%v: unknown after the board's first event", p.At)
			}
			ref := referenceMetrics(cfg, received(p.At), p.At)
			if p.Queue != ref.QueueLength || p.Active != ref.ActiveChats || math.Abs(p.LongestWaitSeconds-ref.LongestWaitSeconds) > 1e-6 {
				t.Errorf("%v: queue %d active %d longest %.3fs; the model says %d, %d, %.3fs",
					p.At, p.Queue, p.Active, p.LongestWaitSeconds, ref.QueueLength, ref.ActiveChats, ref.LongestWaitSeconds)
			}
		}
		var arrivals int64
		for _, c := range all.Chats {
			if c.Arrived && !c.ArrivalAt.Before(p.At) && c.ArrivalAt.Before(end) {
				arrivals++
			}
		}
		w := referenceMetrics(cfg, evs, end).Window
		if p.Arrivals != arrivals || !sameRatio(p.ServiceLevel, w.ServiceLevel) || !sameRatio(p.ASASeconds, w.ASASeconds) ||
			!sameRatio(p.AbandonmentRate, w.AbandonmentRate) {
			t.Errorf("%v: arrivals %d SL %s ASA %s aband %s; the model says %d, %s, %s, %s", p.At,
				p.Arrivals, show(p.ServiceLevel), show(p.ASASeconds), show(p.AbandonmentRate),
				arrivals, show(w.ServiceLevel), show(w.ASASeconds), show(w.AbandonmentRate))
		}
		checked++
		if t.Failed() && checked > 5 {
			t.FailNow()
		}
	}
	if unknown == 0 || unknown > 3 {
		t.Errorf("%d unknown points at the start, want the one or two before the first event", unknown)
	}
	last := points[len(points)-1]
	m := b.Metrics(now)
	if !sameRatio(last.ServiceLevel, m.Window.ServiceLevel) || last.Queue != m.QueueLength {
		t.Errorf("the last point (SL %s, queue %d) is not the header's (SL %s, queue %d)",
			show(last.ServiceLevel), last.Queue, show(m.Window.ServiceLevel), m.QueueLength)
	}
}

func sameRatio(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return math.Abs(*a-*b) < 1e-9
}

// TestTrendSurvivesState: a board restored from another's State (a
// checkpoint, an attached terminal's snapshot, through JSON) has the same
// trend, and both keep it alike as events go on.
func TestTrendSurvivesState(t *testing.T) {
	start := time.Date(2025, 3, 4, 8, 0, 0, 0, time.UTC)
	evs, err := traffic.Events(2, start, 1200, 20)
	if err != nil {
		t.Fatal(err)
	}
	cfg := board.DefaultConfig()
	a := board.New(cfg)
	half := len(evs) / 2
	for i := range evs[:half] {
		a.Apply(&evs[i])
	}
	js, err := json.Marshal(a.State())
	if err != nil {
		t.Fatal(err)
	}
	var st board.State
	if err := json.Unmarshal(js, &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Trend) == 0 {
		t.Fatal("the state holds no trend samples")
	}
	r, err := board.Restore(cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range [][]event.Event{nil, evs[half:]} {
		for i := range step {
			a.Apply(&step[i])
			r.Apply(&step[i])
		}
		now := evs[len(evs)-1].ReceivedAt.Add(time.Minute)
		ga, gr := a.Trend(now, 4*time.Hour), r.Trend(now, 4*time.Hour)
		ja, _ := json.Marshal(ga)
		jr, _ := json.Marshal(gr)
		if string(ja) != string(jr) {
			t.Fatalf("restored trend differs:\n%s\n%s", ja, jr)
		}
	}
}

// TestTrendIsBounded: a board that runs for days keeps one day of samples;
// what is older reads as unknown, and the minutes of a quiet spell carry the
// queue as it stood.
func TestTrendIsBounded(t *testing.T) {
	b := board.New(board.DefaultConfig())
	t0 := time.Date(2025, 3, 4, 8, 0, 30, 0, time.UTC)
	req := func(id string, at time.Time) *event.Event {
		return &event.Event{Source: event.Comm100, Kind: event.ChatRequested, ChatID: id, ReceivedAt: at,
			Visitor: &event.Visitor{ID: "v-" + id}}
	}
	b.Apply(req("a", t0))
	b.Apply(req("b", t0.Add(3*time.Minute)))
	quiet := t0.Add(3*time.Minute + 10*time.Hour)
	pts := b.Trend(quiet, 10*time.Hour+5*time.Minute)
	var q1, q2 int
	for _, p := range pts {
		switch {
		case !p.Known:
		case p.At.Before(t0.Add(3 * time.Minute)):
			q1++
			if p.Queue != 1 {
				t.Errorf("%v: queue %d, want 1", p.At, p.Queue)
			}
		default:
			q2++
			if p.Queue != 2 || p.LongestWaitSeconds != p.At.Sub(t0).Seconds() {
				t.Errorf("%v: queue %d longest %v, want 2 and %v", p.At, p.Queue, p.LongestWaitSeconds, p.At.Sub(t0).Seconds())
			}
		}
	}
	if q1 != 3 || q2 < 600 {
		t.Errorf("%d minutes with one waiting, %d with two; want 3 and the ten quiet hours", q1, q2)
	}
	// Two days later: the day before yesterday is gone from the ring.
	later := quiet.Add(48 * time.Hour)
	b.Apply(req("c", later))
	st := b.State()
	if n := len(st.Trend); n != 24*60 {
		t.Errorf("%d samples kept, want one day's, %d", n, 24*60)
	}
	for _, p := range b.Trend(later, board.TrendSpan+time.Hour) {
		if p.At.Before(later.Add(-board.TrendSpan)) && p.Known {
			t.Fatalf("%v: known, over a day before the latest event", p.At)
		}
	}
}

// TestDepartmentsAddUp: over a demo run, the departments' queues, active
// chats, answers and abandons add up to the board's, at many moments, and a
// restored board breaks the floor down alike.
func TestDepartmentsAddUp(t *testing.T) {
	start := time.Date(2025, 3, 4, 8, 0, 0, 0, time.UTC)
	evs, err := traffic.Events(3, start, 2000, 4)
	if err != nil {
		t.Fatal(err)
	}
	cfg := board.DefaultConfig()
	b := board.New(cfg)
	named := 0
	for i := range evs {
		b.Apply(&evs[i])
		if i%97 != 0 && i != len(evs)-1 {
			continue
		}
		now := evs[i].ReceivedAt.Add(20 * time.Second)
		m := b.Metrics(now)
		var q, a int
		var ans, ab int64
		longest := 0.0
		for _, d := range b.Departments(now) {
			q, a, ans, ab = q+d.Queue, a+d.Active, ans+d.Answered, ab+d.Abandoned
			longest = math.Max(longest, d.LongestWaitSeconds)
			if d.Department != "" {
				named++
			}
		}
		if b.Departments(now) == nil {
			continue
		}
		if q != m.QueueLength || a != m.ActiveChats || ans != m.Window.Answered || ab != m.Window.Abandoned ||
			math.Abs(longest-m.LongestWaitSeconds) > 1e-9 {
			t.Fatalf("after event %d: departments add up to queue %d active %d answered %d abandoned %d longest %.1f; the board has %d %d %d %d %.1f",
				i, q, a, ans, ab, longest, m.QueueLength, m.ActiveChats, m.Window.Answered, m.Window.Abandoned, m.LongestWaitSeconds)
		}
	}
	if named == 0 {
		t.Fatal("no department seen in the demo run: the test compared nothing")
	}
	r, err := board.Restore(cfg, b.State())
	if err != nil {
		t.Fatal(err)
	}
	now := evs[len(evs)-1].ReceivedAt.Add(time.Minute)
	ja, _ := json.Marshal(b.Departments(now))
	jr, _ := json.Marshal(r.Departments(now))
	if string(ja) != string(jr) {
		t.Errorf("restored departments differ:\n%s\n%s", ja, jr)
	}
}

// TestDepartmentCountsWhereAnswered: a chat answered in Sales and moved to
// Support counts its answer in Sales; the queue follows the chat.
func TestDepartmentCountsWhereAnswered(t *testing.T) {
	b := board.New(board.DefaultConfig())
	t0 := time.Date(2025, 3, 4, 8, 0, 0, 0, time.UTC)
	ev := func(kind event.Kind, id, dept string, at time.Time) *event.Event {
		return &event.Event{Source: event.Comm100, Kind: kind, ChatID: id, ReceivedAt: at,
			Visitor: &event.Visitor{ID: "v-" + id}, Department: &event.Department{Name: dept}}
	}
	b.Apply(ev(event.ChatRequested, "1", "Sales", t0))
	b.Apply(ev(event.ChatRequested, "2", "Support", t0.Add(time.Second)))
	b.Apply(ev(event.ChatStarted, "1", "Sales", t0.Add(10*time.Second)))
	b.Apply(ev(event.ChatTransferred, "1", "Support", t0.Add(20*time.Second)))
	got := b.Departments(t0.Add(30 * time.Second))
	if len(got) != 2 || got[0].Department != "Sales" || got[1].Department != "Support" {
		t.Fatalf("departments %+v, want Sales and Support", got)
	}
	sales, support := got[0], got[1]
	if sales.Answered != 1 || sales.Active != 0 || sales.ServiceLevel == nil || *sales.ServiceLevel != 1 {
		t.Errorf("Sales %+v, want the answer (in 10 s, SL 100%%), no active chat", sales)
	}
	if support.Answered != 0 || support.Active != 1 || support.Queue != 1 || support.LongestWaitSeconds != 29 {
		t.Errorf("Support %+v, want the transferred chat active, one waiting for 29 s, no answer", support)
	}
}
