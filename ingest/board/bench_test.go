package board

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/fixtures/traffic"
	"github.com/chatdeck/chatdeck/ingest/event"
)

// benchStart is when the benchmarks' scenario starts.
var benchStart = time.Date(2026, 3, 2, 8, 30, 0, 0, time.UTC)

// mixEvents is 200,000 events of the demo scenario (about nine days of a
// contact centre's traffic, all three vendors), decoded once.
var mixEvents = sync.OnceValues(func() ([]event.Event, error) {
	evs, err := traffic.Events(1, benchStart, 200_000, 1)
	for i := range evs {
		if evs[i].Kind != event.Unrecognised {
			// Only unrecognised events are read for their payload: the
			// others need not hold it (and the collector scan it) here.
			evs[i].Raw = nil
		}
	}
	return evs, err
})

// BenchmarkApply applies the realistic mix, in journal order, to a new
// board with the default configuration (pruning included), on one
// goroutine. events/s is the figure the performance target is set on.
func BenchmarkApply(b *testing.B) {
	evs, err := mixEvents()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var n int
	for b.Loop() {
		bd := New(DefaultConfig())
		for i := range evs {
			bd.Apply(&evs[i])
		}
		n += len(evs)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/event")
}

// bigBoard is a board with queue waiting visitors, agents agents and
// active chats, as of the returned time.
func bigBoard(tb testing.TB, queue, agents, active int) (*Board, time.Time) {
	now := benchStart.Add(2 * time.Hour)
	bd := New(DefaultConfig())
	for _, ev := range traffic.Board(queue, agents, active, now) {
		bd.Apply(&ev)
	}
	if bd.QueueLen() != queue {
		tb.Fatalf("queue %d, want %d", bd.QueueLen(), queue)
	}
	return bd, now
}

// frameRows is the rows a full screen shows (a 50-line terminal).
const frameRows = 44

// BenchmarkFrameQueries is what the dashboard asks of the board for one
// frame of each pane, on boards of growing size: the cost must not grow
// with the board (O(visible), not O(all)).
func BenchmarkFrameQueries(b *testing.B) {
	for _, size := range []struct{ queue, agents, active int }{{100, 20, 30}, {10_000, 2_000, 3_000}, {50_000, 10_000, 15_000}} {
		bd, now := bigBoard(b, size.queue, size.agents, size.active)
		name := fmt.Sprintf("queue=%d/agents=%d/active=%d", size.queue, size.agents, size.active)
		b.Run(name+"/header", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = bd.Metrics(now)
				_ = bd.Sources()
				_ = bd.StatusOptions(event.Comm100)
			}
		})
		b.Run(name+"/queue", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = bd.Queue(now, size.queue/2, frameRows)
			}
		})
		b.Run(name+"/agents", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = bd.AgentsPage(size.agents/2, frameRows)
			}
		})
		b.Run(name+"/chats", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = bd.ChatSummariesPage(size.queue/2, frameRows)
			}
		})
	}
}

// BenchmarkApplyWarm applies the same mix as BenchmarkApply, but as the
// hub and a replay do: in batches that were just decoded, so that the
// events' memory is in the CPU's caches when they are applied. Each batch
// of 256 is read once (what decoding it would have written) with the
// timer stopped. BenchmarkApply reads every event from main memory
// instead (200,000 decoded events are far larger than the caches): the
// two bound Apply's cost from both sides.
func BenchmarkApplyWarm(b *testing.B) {
	evs, err := mixEvents()
	if err != nil {
		b.Fatal(err)
	}
	const batch = 256
	var n, sink int
	for b.Loop() {
		bd := New(DefaultConfig())
		for lo := 0; lo < len(evs); lo += batch {
			hi := min(lo+batch, len(evs))
			b.StopTimer()
			for i := lo; i < hi; i++ {
				sink += readEvent(&evs[i])
			}
			b.StartTimer()
			for i := lo; i < hi; i++ {
				bd.Apply(&evs[i])
			}
		}
		n += len(evs)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/event")
	if sink == 0 {
		b.Fatal("the events read as empty")
	}
}

// readEvent reads what decoding ev wrote (its fields, and the strings,
// messages, agents and visitor it points to) and returns a sum of it.
func readEvent(ev *event.Event) int {
	n := str(ev.ChatID) + str(ev.VendorEvent) + int(ev.ReceivedAt.Unix()) + str(string(ev.Kind))
	if v := ev.Visitor; v != nil {
		n += str(v.ID) + str(v.Number) + str(v.UserToken) + str(v.Name) + str(v.Email) + str(v.Phone) +
			str(v.Company) + str(v.StatusName) + str(v.IP) + str(v.Location) + str(v.Browser) + str(v.OS) +
			str(v.Language) + str(v.TimeZone) + str(v.CurrentPage) + str(v.Referrer) + str(v.LandingPage) +
			str(v.SearchEngine) + str(v.Keywords) + str(v.ChatID) + str(v.Description) + v.Visits + len(v.Fields)
		if v.Department != nil {
			n += str(v.Department.ID) + str(v.Department.Name)
		}
	}
	for i := range ev.Messages {
		m := &ev.Messages[i]
		n += str(m.Text) + str(m.Name) + str(m.Clock) + int(m.At.Unix())
	}
	for i := range ev.Agents {
		n += str(ev.Agents[i].ID) + str(ev.Agents[i].Name)
	}
	if ev.Department != nil {
		n += str(ev.Department.ID) + str(ev.Department.Name)
	}
	if ev.Chat != nil {
		n += str(ev.Chat.Comment) + len(ev.Chat.Tags)
	}
	if ev.Rating != nil {
		n += str(ev.Rating.Value)
	}
	return n
}

// str reads s's first and last bytes (all of a short string's memory).
func str(s string) int {
	if s == "" {
		return 0
	}
	return len(s) + int(s[0]) + int(s[len(s)-1])
}
