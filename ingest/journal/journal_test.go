package journal

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// quiet is a logger for tests that discards everything.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// openT opens a journal in a fresh temporary directory (unless opts.Path is
// set) and closes it when the test ends.
func openT(t testing.TB, opts Options) *Journal {
	t.Helper()
	if opts.Path == "" {
		opts.Path = filepath.Join(t.TempDir(), "journal.db")
	}
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	j, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

// appendT appends r and fails the test on error.
func appendT(t testing.TB, j *Journal, r Record, d Dedupe) (int64, bool) {
	t.Helper()
	seq, dup, err := j.Append(context.Background(), r, d)
	if err != nil {
		t.Fatalf("Append(%s): %v", r.Payload, err)
	}
	return seq, dup
}

// pageAll returns every record in the journal.
func pageAll(t testing.TB, j *Journal) []Record {
	t.Helper()
	recs, err := j.Page(context.Background(), 0, 1<<30)
	if err != nil {
		t.Fatalf("Page: %v", err)
	}
	return recs
}

func seqsOf(recs []Record) []int64 {
	var s []int64
	for _, r := range recs {
		s = append(s, r.Seq)
	}
	return s
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// clock is a settable fake clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func stats(t testing.TB, j *Journal) (int64, int64) {
	t.Helper()
	n, b, err := j.Stats(context.Background())
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	return n, b
}

// checkStats compares Stats with a count made by SQL on the file.
func checkStats(t testing.TB, j *Journal) {
	t.Helper()
	var n, b int64
	err := j.rdb.QueryRow("SELECT count(*), coalesce(sum(length(payload)), 0) FROM events").Scan(&n, &b)
	if err != nil {
		t.Fatal(err)
	}
	gn, gb := stats(t, j)
	if gn != n || gb != b {
		t.Errorf("Stats = %d records, %d bytes; table holds %d records, %d bytes", gn, gb, n, b)
	}
}

func TestAppendPageReplayRoundTrip(t *testing.T) {
	ctx := t.Context()
	j := openT(t, Options{})
	if seq, err := j.LastSeq(ctx); err != nil || seq != 0 {
		t.Fatalf("LastSeq on empty journal = %d, %v; want 0, nil", seq, err)
	}
	if err := j.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	zone := time.FixedZone("X", 5*3600+1800)
	in := []Record{
		{Seq: 99, ReceivedAt: time.Date(2024, 3, 1, 10, 0, 0, 123456789, zone), Source: "comm100", Kind: "chat_ended",
			Subject: "chat:comm100:1", Payload: []byte(`{"event":"chat.end","id":1}`)},
		{ReceivedAt: time.Date(2024, 3, 1, 10, 0, 1, 1, time.UTC), Source: "chatlio", Kind: "chat_transcript",
			Hint: "transcript", Payload: []byte("{\n  \"messages\": [\"hi\", \"bye\"]\n}")},
		{ReceivedAt: time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.UTC), Source: "jivochat", Kind: "agent_away",
			Hint: "h", Subject: "agent:jivochat:7", Payload: []byte(`{"status":"away","bytes":"\u00e9\u0000"}`)},
	}
	for i, r := range in {
		seq, dup := appendT(t, j, r, DedupeContent)
		if seq != int64(i+1) || dup {
			t.Fatalf("Append #%d = %d, %v; want %d, false", i, seq, dup, i+1)
		}
	}
	check := func(how string, got []Record) {
		t.Helper()
		if len(got) != len(in) {
			t.Fatalf("%s returned %d records, want %d", how, len(got), len(in))
		}
		for i, g := range got {
			w := in[i]
			if g.Seq != int64(i+1) {
				t.Errorf("%s[%d].Seq = %d, want %d", how, i, g.Seq, i+1)
			}
			if !g.ReceivedAt.Equal(w.ReceivedAt) || g.ReceivedAt.Location() != time.UTC {
				t.Errorf("%s[%d].ReceivedAt = %v, want %v in UTC", how, i, g.ReceivedAt, w.ReceivedAt)
			}
			if g.ReceivedAt.Nanosecond() != w.ReceivedAt.Nanosecond() {
				t.Errorf("%s[%d] nanoseconds = %d, want %d", how, i, g.ReceivedAt.Nanosecond(), w.ReceivedAt.Nanosecond())
			}
			if g.Source != w.Source || g.Kind != w.Kind || g.Hint != w.Hint || g.Subject != w.Subject {
				t.Errorf("%s[%d] = %q/%q/%q/%q, want %q/%q/%q/%q", how, i,
					g.Source, g.Kind, g.Hint, g.Subject, w.Source, w.Kind, w.Hint, w.Subject)
			}
			if !bytes.Equal(g.Payload, w.Payload) {
				t.Errorf("%s[%d].Payload = %q, want %q (stored as given, not compacted)", how, i, g.Payload, w.Payload)
			}
		}
	}
	page, err := j.Page(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	check("Page", page)

	var replayed []Record
	if err := j.Replay(ctx, 0, func(r Record) error { replayed = append(replayed, r); return nil }); err != nil {
		t.Fatal(err)
	}
	check("Replay", replayed)

	// Cursors.
	if got, _ := j.Page(ctx, 1, 1); len(got) != 1 || got[0].Seq != 2 {
		t.Errorf("Page(after 1, limit 1) = %v, want seq 2", seqsOf(got))
	}
	if got, _ := j.Page(ctx, 3, 10); got == nil || len(got) != 0 {
		t.Errorf("Page(after 3) = %#v, want an empty non-nil slice", got)
	}
	if got, _ := j.Page(ctx, 0, 0); len(got) != 0 {
		t.Errorf("Page(limit 0) = %v, want none", seqsOf(got))
	}
	var after2 []int64
	j.Replay(ctx, 2, func(r Record) error { after2 = append(after2, r.Seq); return nil })
	if !slices.Equal(after2, []int64{3}) {
		t.Errorf("Replay(after 2) saw %v, want [3]", after2)
	}
	if seq, err := j.LastSeq(ctx); err != nil || seq != 3 {
		t.Errorf("LastSeq = %d, %v; want 3", seq, err)
	}
	n, b := stats(t, j)
	wantBytes := int64(len(in[0].Payload) + len(in[1].Payload) + len(in[2].Payload))
	if n != 3 || b != wantBytes {
		t.Errorf("Stats = %d, %d; want 3, %d", n, b, wantBytes)
	}
	checkStats(t, j)
}

func TestAppendDefaultsAndValidation(t *testing.T) {
	ctx := t.Context()
	clk := &clock{now: time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)}
	j := openT(t, Options{Now: clk.Now})

	// Empty payload (nil and non-nil) is stored as an empty blob, not NULL.
	for i, p := range [][]byte{nil, {}} {
		seq, dup := appendT(t, j, Record{Source: "comm100", Kind: "k", Payload: p}, DedupeNone)
		if seq != int64(i+1) || dup {
			t.Fatalf("Append(empty payload #%d) = %d, %v", i, seq, dup)
		}
	}
	recs := pageAll(t, j)
	for _, r := range recs {
		if r.Payload == nil || len(r.Payload) != 0 {
			t.Errorf("seq %d payload = %#v, want empty non-nil", r.Seq, r.Payload)
		}
		if !r.ReceivedAt.Equal(clk.Now()) {
			t.Errorf("zero ReceivedAt stored as %v, want Now() = %v", r.ReceivedAt, clk.Now())
		}
	}

	if _, _, err := j.Append(ctx, Record{Source: "x"}, Dedupe(7)); err == nil || errors.Is(err, ErrUnavailable) {
		t.Errorf("Append with unknown dedupe mode: err = %v, want a non-ErrUnavailable error", err)
	}
	if _, _, err := j.Append(ctx, Record{Source: "x", ReceivedAt: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)}, DedupeNone); err == nil {
		t.Error("Append with ReceivedAt in year 3000: want an error (does not fit unix nanos)")
	}
	if seq, _ := j.LastSeq(ctx); seq != 2 {
		t.Errorf("LastSeq after rejected appends = %d, want 2", seq)
	}
}

func TestReplayChunksAndStops(t *testing.T) {
	ctx := t.Context()
	j := openT(t, Options{})
	j.replayChunk = 3 // make Replay cross several chunk boundaries
	const n = 10
	for i := range n {
		appendT(t, j, Record{Source: "comm100", Kind: "k", Payload: fmt.Appendf(nil, `{"i":%d}`, i)}, DedupeNone)
	}
	var got []int64
	if err := j.Replay(ctx, 0, func(r Record) error {
		if want := fmt.Sprintf(`{"i":%d}`, r.Seq-1); string(r.Payload) != want {
			t.Errorf("seq %d payload %s, want %s", r.Seq, r.Payload, want)
		}
		got = append(got, r.Seq)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}; !slices.Equal(got, want) {
		t.Fatalf("Replay saw %v, want %v", got, want)
	}

	// After exactly one full chunk's worth of records.
	got = nil
	j.Replay(ctx, 7, func(r Record) error { got = append(got, r.Seq); return nil })
	if !slices.Equal(got, []int64{8, 9, 10}) {
		t.Errorf("Replay(after 7) saw %v, want [8 9 10]", got)
	}

	// fn's error stops the replay and is returned as is.
	stop := errors.New("stop")
	got = nil
	err := j.Replay(ctx, 0, func(r Record) error {
		got = append(got, r.Seq)
		if r.Seq == 5 {
			return stop
		}
		return nil
	})
	if err != stop || !slices.Equal(got, []int64{1, 2, 3, 4, 5}) {
		t.Errorf("Replay with failing fn: err %v, saw %v; want stop after [1 2 3 4 5]", err, got)
	}

	// A cancelled context stops it too.
	cctx, cancel := context.WithCancel(ctx)
	got = nil
	err = j.Replay(cctx, 0, func(r Record) error {
		got = append(got, r.Seq)
		if r.Seq == 2 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || len(got) != 2 {
		t.Errorf("Replay with cancelled ctx: err %v, saw %v; want Canceled after 2", err, got)
	}
}

func TestContentKey(t *testing.T) {
	base := ContentKey("comm100", "", []byte(`{"a":1,"b":[1,2]}`))
	if got := ContentKey("comm100", "", []byte(" {\n\t\"a\" : 1 ,\r\n \"b\": [ 1, 2 ] }\n")); got != base {
		t.Error("payload differing only in JSON whitespace has a different key")
	}
	if ContentKey("comm100", "", []byte(`{"a":"1 ","b":[1,2]}`)) == base {
		t.Error("whitespace inside a string must count")
	}
	if ContentKey("chatlio", "", []byte(`{"a":1,"b":[1,2]}`)) == base {
		t.Error("source is not part of the key")
	}
	if ContentKey("comm100", "transcript", []byte(`{"a":1,"b":[1,2]}`)) == base {
		t.Error("hint is not part of the key")
	}
	// The separators keep field boundaries apart.
	if ContentKey("ab", "c", []byte(`1`)) == ContentKey("a", "bc", []byte(`1`)) {
		t.Error(`("ab","c") and ("a","bc") collide`)
	}
	if ContentKey("a", "", []byte("b")) == ContentKey("a", "b", nil) {
		t.Error(`hint "b" and payload "b" collide`)
	}
	// Invalid JSON is hashed as it is, whitespace and all.
	if ContentKey("s", "", []byte("{not json")) == ContentKey("s", "", []byte("{not  json")) {
		t.Error("invalid JSON was normalised")
	}
}

func TestDedupeContent(t *testing.T) {
	j := openT(t, Options{})
	r := Record{Source: "comm100", Kind: "chat_ended", Payload: []byte(`{"id":1,"event":"end"}`)}

	seq1, dup := appendT(t, j, r, DedupeContent)
	if seq1 != 1 || dup {
		t.Fatalf("first Append = %d, %v; want 1, false", seq1, dup)
	}
	// A retry, even received later and with another kind or subject.
	retry := r
	retry.ReceivedAt = time.Now().Add(time.Hour)
	retry.Subject = "other"
	if seq, dup := appendT(t, j, retry, DedupeContent); seq != seq1 || !dup {
		t.Errorf("same payload again = %d, %v; want %d, true", seq, dup, seq1)
	}
	ws := r
	ws.Payload = []byte("{ \"id\" : 1,\n  \"event\": \"end\" }\n")
	if seq, dup := appendT(t, j, ws, DedupeContent); seq != seq1 || !dup {
		t.Errorf("payload differing in whitespace = %d, %v; want %d, true", seq, dup, seq1)
	}
	hint := r
	hint.Hint = "transcript"
	if seq, dup := appendT(t, j, hint, DedupeContent); seq != 2 || dup {
		t.Errorf("different hint = %d, %v; want 2, false", seq, dup)
	}
	src := r
	src.Source = "jivochat"
	if seq, dup := appendT(t, j, src, DedupeContent); seq != 3 || dup {
		t.Errorf("different source = %d, %v; want 3, false", seq, dup)
	}
	// DedupeNone stores it regardless; a later DedupeContent retry finds
	// the first copy.
	if seq, dup := appendT(t, j, r, DedupeNone); seq != 4 || dup {
		t.Errorf("DedupeNone = %d, %v; want 4, false", seq, dup)
	}
	if seq, dup := appendT(t, j, r, DedupeContent); seq != seq1 || !dup {
		t.Errorf("retry after DedupeNone copy = %d, %v; want %d, true", seq, dup, seq1)
	}
	if n, _ := stats(t, j); n != 4 {
		t.Errorf("Stats count = %d, want 4", n)
	}
	recs := pageAll(t, j)
	if len(recs) != 4 || recs[0].Subject != "" || !bytes.Equal(recs[0].Payload, r.Payload) {
		t.Errorf("duplicates changed the stored record: %+v", recs)
	}
	checkStats(t, j)
}

func TestDedupeLatest(t *testing.T) {
	j := openT(t, Options{})
	state := func(subject, status string) Record {
		return Record{Source: "comm100", Kind: "agent_status", Subject: subject,
			Payload: fmt.Appendf(nil, `{"agent":%q,"status":%q}`, subject, status)}
	}
	a, b := "agent:comm100:A", "agent:comm100:B"

	steps := []struct {
		r       Record
		wantSeq int64
		wantDup bool
	}{
		{state(a, "away"), 1, false},
		{state(a, "online"), 2, false},
		{state(a, "away"), 3, false},    // legitimately repeats after a change
		{state(a, "away"), 3, true},     // a retry of the latest
		{state(b, "away"), 4, false},    // another subject: its own history
		{state(b, "away"), 4, true},     // retry for B
		{state(a, "away"), 3, true},     // B's records did not disturb A's latest
		{state(a, "online"), 5, false},  // online was stored before but is not A's latest
		{state(a, "online"), 5, true},   //
		{state("", "away"), 6, false},   // no subject: falls back to content dedupe
		{state("", "away"), 6, true},    //
		{state("", "online"), 7, false}, //
	}
	for i, s := range steps {
		seq, dup := appendT(t, j, s.r, DedupeLatest)
		if seq != s.wantSeq || dup != s.wantDup {
			t.Errorf("step %d (%s) = %d, %v; want %d, %v", i, s.r.Payload, seq, dup, s.wantSeq, s.wantDup)
		}
	}
	if n, _ := stats(t, j); n != 7 {
		t.Errorf("Stats count = %d, want 7", n)
	}
	checkStats(t, j)
}

// gate holds the writer in its first batch until released, so that the
// appends started meanwhile queue up and form batches.
type gate struct {
	first   sync.Once
	taken   chan int      // the size of the first batch
	release chan struct{} // closed to let the writer go on
	mu      sync.Mutex
	sizes   []int
}

func newGate() *gate { return &gate{taken: make(chan int, 1), release: make(chan struct{})} }

func (g *gate) onBatch(n int) {
	g.mu.Lock()
	g.sizes = append(g.sizes, n)
	g.mu.Unlock()
	g.first.Do(func() {
		g.taken <- n
		<-g.release
	})
}

func (g *gate) batchSizes() []int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.sizes)
}

func TestGroupCommit(t *testing.T) {
	const n = 200
	var (
		mu        sync.Mutex
		calls     int
		seen      []Record
		inCommit  atomic.Int32
		overlap   atomic.Bool
		returned  [n + 1]atomic.Bool // by seq: Append had returned before OnCommit saw it
		lateCalls atomic.Int32
	)
	g := newGate()
	j := openT(t, Options{
		onBatch: g.onBatch,
		OnCommit: func(recs []Record) {
			if inCommit.Add(1) > 1 {
				overlap.Store(true)
			}
			defer inCommit.Add(-1)
			mu.Lock()
			defer mu.Unlock()
			calls++
			for _, r := range recs {
				if r.Seq >= 1 && r.Seq <= n && returned[r.Seq].Load() {
					lateCalls.Add(1)
				}
			}
			seen = append(seen, recs...)
		},
	})

	// One append first, held in the writer, while the others start.
	first := make(chan error, 1)
	go func() {
		_, _, err := j.Append(context.Background(), Record{Source: "comm100", Kind: "k", Payload: []byte(`{"g":0}`)}, DedupeContent)
		first <- err
	}()
	if size := <-g.taken; size != 1 {
		t.Fatalf("first batch has %d appends, want 1", size)
	}

	var started sync.WaitGroup
	var wg sync.WaitGroup
	seqs := make([]int64, n)
	errs := make([]error, n)
	started.Add(n - 1)
	for i := 1; i < n; i++ {
		wg.Go(func() {
			started.Done()
			var dup bool
			seqs[i], dup, errs[i] = j.Append(context.Background(),
				Record{Source: "comm100", Kind: "k", Payload: fmt.Appendf(nil, `{"g":%d}`, i)}, DedupeContent)
			if dup {
				errs[i] = fmt.Errorf("goroutine %d: unexpected duplicate", i)
			}
			if errs[i] == nil && seqs[i] >= 1 && seqs[i] <= n {
				returned[seqs[i]].Store(true)
			}
		})
	}
	started.Wait()
	time.Sleep(20 * time.Millisecond) // let them reach the writer's queue; not an assertion
	close(g.release)
	wg.Wait()
	if err := <-first; err != nil {
		t.Fatalf("first Append: %v", err)
	}
	seqs[0] = 1

	for i, err := range errs {
		if err != nil {
			t.Fatalf("Append %d: %v", i, err)
		}
	}
	sorted := slices.Sorted(slices.Values(seqs))
	for i, s := range sorted {
		if s != int64(i+1) {
			t.Fatalf("seqs are not exactly 1..%d: sorted[%d] = %d", n, i, s)
		}
	}

	mu.Lock()
	defer mu.Unlock()
	if calls >= n {
		t.Errorf("OnCommit called %d times for %d appends: no batches formed (sizes %v)", calls, n, g.batchSizes())
	}
	if len(seen) != n {
		t.Fatalf("OnCommit saw %d records, want %d", len(seen), n)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i].Seq <= seen[i-1].Seq {
			t.Fatalf("OnCommit records out of order: seq %d after %d", seen[i].Seq, seen[i-1].Seq)
		}
	}
	// Each goroutine's seq holds its own payload.
	for i, s := range seqs {
		if got, want := string(seen[s-1].Payload), fmt.Sprintf(`{"g":%d}`, i); got != want {
			t.Errorf("seq %d holds %s, want %s", s, got, want)
		}
	}
	if overlap.Load() {
		t.Error("OnCommit was called concurrently")
	}
	if lateCalls.Load() != 0 {
		t.Errorf("%d records reached OnCommit after their Append returned", lateCalls.Load())
	}
	sizes := g.batchSizes()
	total := 0
	for _, s := range sizes {
		total += s
		if s > defaultMaxBatch {
			t.Errorf("batch of %d exceeds MaxBatch", s)
		}
	}
	if total != n {
		t.Errorf("batches %v add up to %d, want %d", sizes, total, n)
	}
	t.Logf("%d appends in %d batches: %v", n, len(sizes), sizes)
	checkStats(t, j)
}

func TestMaxBatch(t *testing.T) {
	const n = 50
	g := newGate()
	j := openT(t, Options{onBatch: g.onBatch, MaxBatch: 7})
	go j.Append(context.Background(), Record{Source: "s", Payload: []byte(`0`)}, DedupeNone)
	<-g.taken
	var wg sync.WaitGroup
	for i := 1; i < n; i++ {
		wg.Go(func() {
			if _, _, err := j.Append(context.Background(), Record{Source: "s", Payload: fmt.Appendf(nil, "%d", i)}, DedupeNone); err != nil {
				t.Error(err)
			}
		})
	}
	time.Sleep(20 * time.Millisecond) // let them queue; not an assertion
	close(g.release)
	wg.Wait()
	waitFor(t, "all appends", func() bool { n2, _ := stats(t, j); return n2 == n })
	sizes := g.batchSizes()
	for _, s := range sizes {
		if s > 7 {
			t.Errorf("batch sizes %v: one exceeds MaxBatch 7", sizes)
		}
	}
	if len(sizes) >= n {
		t.Errorf("no batching: %d batches for %d appends", len(sizes), n)
	}
}

func TestConcurrentIdenticalPayloads(t *testing.T) {
	const n = 50
	g := newGate()
	var stored atomic.Int64
	j := openT(t, Options{onBatch: g.onBatch, OnCommit: func(r []Record) { stored.Add(int64(len(r))) }})
	same := Record{Source: "jivochat", Kind: "chat_ended", Payload: []byte(`{"chat_id":42}`)}

	// Hold the writer with an unrelated append so the identical ones queue
	// up and share a batch.
	go j.Append(context.Background(), Record{Source: "jivochat", Payload: []byte(`{"other":1}`)}, DedupeContent)
	<-g.taken
	var wg sync.WaitGroup
	seqs := make([]int64, n)
	dups := make([]bool, n)
	for i := range n {
		wg.Go(func() {
			var err error
			// Vary the whitespace: still the same content.
			r := same
			r.Payload = append(bytes.Repeat([]byte(" "), i%3), same.Payload...)
			seqs[i], dups[i], err = j.Append(context.Background(), r, DedupeContent)
			if err != nil {
				t.Error(err)
			}
		})
	}
	time.Sleep(20 * time.Millisecond) // let them queue; not an assertion
	close(g.release)
	wg.Wait()

	fresh := 0
	for i := range n {
		if !dups[i] {
			fresh++
		}
		if seqs[i] != 2 {
			t.Errorf("append %d got seq %d, want 2 (the one stored copy)", i, seqs[i])
		}
	}
	if fresh != 1 {
		t.Errorf("%d appends stored the payload, want exactly 1", fresh)
	}
	if c, _ := stats(t, j); c != 2 || stored.Load() != 2 {
		t.Errorf("journal holds %d records, OnCommit saw %d; want 2 and 2", c, stored.Load())
	}
	if sizes := g.batchSizes(); slices.Max(sizes) < 2 {
		t.Errorf("batches %v: the identical appends never shared a batch, in-batch dedupe untested", sizes)
	}
}

func TestReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "sub", "dir", "journal.db") // parent created by Open
	j, err := Open(ctx, Options{Path: path, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		appendT(t, j, Record{Source: "comm100", Kind: "k", Subject: "s", Payload: fmt.Appendf(nil, `{"n":%d}`, i)}, DedupeContent)
	}
	before := pageAll(t, j)
	if err := j.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if fi, err := os.Stat(filepath.Dir(path)); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("parent dir: %v, %v; want mode 0700", fi.Mode(), err)
	}

	j2 := openT(t, Options{Path: path})
	after := pageAll(t, j2)
	if !slices.EqualFunc(before, after, func(a, b Record) bool {
		return a.Seq == b.Seq && a.ReceivedAt.Equal(b.ReceivedAt) && a.Source == b.Source && a.Kind == b.Kind &&
			a.Subject == b.Subject && bytes.Equal(a.Payload, b.Payload)
	}) {
		t.Fatalf("after reopen:\n%+v\nwant\n%+v", after, before)
	}
	if seq, err := j2.LastSeq(ctx); err != nil || seq != 5 {
		t.Errorf("LastSeq after reopen = %d, %v; want 5", seq, err)
	}
	if n, b := stats(t, j2); n != 5 || b != int64(5*len(`{"n":0}`)) {
		t.Errorf("Stats after reopen = %d, %d", n, b)
	}
	if seq, dup := appendT(t, j2, Record{Source: "comm100", Payload: []byte(`{"n":5}`)}, DedupeContent); seq != 6 || dup {
		t.Errorf("new append after reopen = %d, %v; want 6, false", seq, dup)
	}
	if seq, dup := appendT(t, j2, Record{Source: "comm100", Payload: []byte(`{ "n": 2 }`)}, DedupeContent); seq != 3 || !dup {
		t.Errorf("retry of an old payload after reopen = %d, %v; want 3, true", seq, dup)
	}
	if seq, dup := appendT(t, j2, Record{Source: "comm100", Subject: "s", Payload: []byte(`{"n":4}`)}, DedupeLatest); seq != 5 || !dup {
		t.Errorf("DedupeLatest retry after reopen = %d, %v; want 5, true", seq, dup)
	}
	checkStats(t, j2)
}

func TestOpenRejectsNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA user_version = 3"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	j, err := Open(t.Context(), Options{Path: path, Logger: quiet})
	if err == nil {
		j.Close()
		t.Fatal("Open accepted a schema from the future")
	}
	if !strings.Contains(err.Error(), "schema version 3") || !strings.Contains(err.Error(), path) {
		t.Errorf("error %q should name the version and the path", err)
	}
}

func TestOddPath(t *testing.T) {
	// Characters that mean something in a URI must reach the file system
	// unchanged.
	dir := filepath.Join(t.TempDir(), "a dir?x=1#frag%20")
	path := filepath.Join(dir, "j ournal.db")
	j := openT(t, Options{Path: path})
	appendT(t, j, Record{Source: "s", Payload: []byte(`1`)}, DedupeNone)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("journal file not where asked: %v", err)
	}
	if recs := pageAll(t, j); len(recs) != 1 {
		t.Errorf("reader sees %d records, want 1 (reader opened another file?)", len(recs))
	}
}

func TestRetentionByAge(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "j.db")
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	clk := &clock{now: t0}

	// Fill without limits; ReceivedAt is not in Seq order.
	j := openT(t, Options{Path: path, Now: clk.Now})
	for _, at := range []time.Time{t0.Add(-3 * time.Hour), t0, t0.Add(-2 * time.Hour), t0.Add(-30 * time.Minute)} {
		appendT(t, j, Record{Source: "s", ReceivedAt: at, Payload: fmt.Appendf(nil, `{"at":%q}`, at)}, DedupeNone)
	}
	j.Close()

	// At Open: records older than an hour go.
	j = openT(t, Options{Path: path, Now: clk.Now, MaxAge: time.Hour, RetentionEvery: 10 * time.Millisecond})
	if got := seqsOf(pageAll(t, j)); !slices.Equal(got, []int64{2, 4}) {
		t.Fatalf("after Open with MaxAge 1h: seqs %v, want [2 4]", got)
	}
	checkStats(t, j)

	// On a later tick: time moves on, the record from t0-30m is now too old.
	clk.Set(t0.Add(45 * time.Minute))
	waitFor(t, "retention tick", func() bool { n, _ := stats(t, j); return n == 1 })
	if got := seqsOf(pageAll(t, j)); !slices.Equal(got, []int64{2}) {
		t.Fatalf("after tick: seqs %v, want [2]", got)
	}
	checkStats(t, j)

	// Seqs are never reused.
	seq, _ := appendT(t, j, Record{Source: "s", ReceivedAt: clk.Now(), Payload: []byte(`{"new":1}`)}, DedupeNone)
	if seq != 5 {
		t.Errorf("append after retention got seq %d, want 5", seq)
	}
	// A deleted record's payload is no longer a duplicate.
	seq, dup := appendT(t, j, Record{Source: "s", ReceivedAt: clk.Now(),
		Payload: fmt.Appendf(nil, `{"at":%q}`, t0.Add(-3*time.Hour))}, DedupeContent)
	if seq != 6 || dup {
		t.Errorf("re-append of a retired payload = %d, %v; want 6, false", seq, dup)
	}
	if last, _ := j.LastSeq(ctx); last != 6 {
		t.Errorf("LastSeq = %d, want 6", last)
	}
}

func TestRetentionBySize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	payload := func(i int) []byte { return fmt.Appendf(nil, `{"i":%03d}`, i) }
	size := int64(len(payload(0)))

	j := openT(t, Options{Path: path, MaxBytes: 3 * size, RetentionEvery: time.Hour})
	for i := 1; i <= 10; i++ {
		appendT(t, j, Record{Source: "s", Payload: payload(i)}, DedupeNone)
	}
	// Checked after each commit, not only on the (hourly) tick.
	waitFor(t, "size retention", func() bool { n, b := stats(t, j); return n == 3 && b == 3*size })
	recs := pageAll(t, j)
	if got := seqsOf(recs); !slices.Equal(got, []int64{8, 9, 10}) {
		t.Fatalf("after appends: seqs %v, want the newest [8 9 10]", got)
	}
	if !bytes.Equal(recs[2].Payload, payload(10)) {
		t.Errorf("newest payload = %s", recs[2].Payload)
	}
	checkStats(t, j)
	j.Close()

	// At Open with a smaller limit: not a whole record more than needed goes.
	j = openT(t, Options{Path: path, MaxBytes: 2*size + 1})
	if got := seqsOf(pageAll(t, j)); !slices.Equal(got, []int64{9, 10}) {
		t.Fatalf("after Open with MaxBytes 2 records+1: seqs %v, want [9 10]", got)
	}
	if n, b := stats(t, j); n != 2 || b != 2*size {
		t.Errorf("Stats = %d, %d; want 2, %d", n, b, 2*size)
	}
	checkStats(t, j)
}

// TestRetentionInChunks fills the file directly with more rows than one
// retention statement deletes.
func TestRetentionInChunks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	j := openT(t, Options{Path: path})
	j.Close()

	const chunk = 100
	const old, young = 2*chunk + 34, 2*chunk + 10
	t0 := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	// Rows 0..old+young-1 get seq i+1; odd rows among the first 2*young
	// are young, interleaved with old ones; every payload is 9 bytes.
	_, err = db.Exec(`
		WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i + 1 < ?)
		INSERT INTO events (received_at, source, kind, key, payload)
		SELECT CASE WHEN i % 2 = 1 AND i / 2 < ? THEN ? ELSE ? END, 's', 'k',
			randomblob(32), CAST(printf('%09d', i) AS BLOB)
		FROM c`, old+young, young, t0.UnixNano(), t0.Add(-48*time.Hour).UnixNano())
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	clk := &clock{now: t0}
	j = openT(t, Options{Path: path, Now: clk.Now, MaxAge: 24 * time.Hour, MaxBytes: 9 * 100, retentionChunk: chunk})
	n, b := stats(t, j)
	if n != 100 || b != 900 {
		t.Fatalf("after Open: %d records, %d bytes; want 100, 900", n, b)
	}
	recs := pageAll(t, j)
	for _, r := range recs {
		if !r.ReceivedAt.Equal(t0) {
			t.Fatalf("seq %d is old but survived", r.Seq)
		}
	}
	// The 100 kept are the newest young ones.
	var want []int64
	for i := range young {
		want = append(want, int64(2*i+2))
	}
	if got := seqsOf(recs); !slices.Equal(got, want[len(want)-100:]) {
		t.Errorf("kept seqs %v..., want %v...", got[:3], want[len(want)-100:][:3])
	}
	checkStats(t, j)
}

func TestUnavailableWhileLocked(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "j.db")
	var committed atomic.Int32
	j := openT(t, Options{Path: path, BusyTimeout: 100 * time.Millisecond,
		OnCommit: func(r []Record) { committed.Add(int32(len(r))) }})
	appendT(t, j, Record{Source: "s", Payload: []byte(`{"n":1}`)}, DedupeContent)

	// Another connection takes the write lock and keeps it, as a stuck
	// process would. (chmod would not stop root.)
	other, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	_, _, err = j.Append(ctx, Record{Source: "s", Payload: []byte(`{"n":2}`)}, DedupeContent)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Append while locked: err = %v, want ErrUnavailable", err)
	}
	if !strings.HasPrefix(err.Error(), "journal: append: ") {
		t.Errorf("error %q does not say where", err)
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("Append failed after %v, before the busy timeout", d)
	}
	// Concurrent appends in the failing batch all fail the same way.
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Go(func() {
			_, _, err := j.Append(ctx, Record{Source: "s", Payload: fmt.Appendf(nil, `{"x":%d}`, i)}, DedupeNone)
			if !errors.Is(err, ErrUnavailable) {
				t.Errorf("concurrent Append while locked: %v", err)
			}
		})
	}
	wg.Wait()
	// Reads carry on (WAL).
	if recs, err := j.Page(ctx, 0, 10); err != nil || len(recs) != 1 {
		t.Errorf("Page while locked = %d records, %v; want 1, nil", len(recs), err)
	}
	// Ping says the journal cannot store (health: unhealthy), and why.
	if err := j.Ping(ctx); !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "last write failed") {
		t.Errorf("Ping while appends fail: %v, want the write failure", err)
	}
	if n, _ := stats(t, j); n != 1 || committed.Load() != 1 {
		t.Errorf("after failures: %d records, OnCommit saw %d; want 1, 1", n, committed.Load())
	}

	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	seq, dup := appendT(t, j, Record{Source: "s", Payload: []byte(`{"n":2}`)}, DedupeContent)
	if seq != 2 || dup {
		t.Errorf("Append after the lock is gone = %d, %v; want 2, false", seq, dup)
	}
	if err := j.Ping(ctx); err != nil {
		t.Errorf("Ping after a write committed again: %v", err)
	}
	if n, _ := stats(t, j); n != 2 || committed.Load() != 2 {
		t.Errorf("after recovery: %d records, OnCommit saw %d; want 2, 2", n, committed.Load())
	}
	checkStats(t, j)
}

func TestAppendContext(t *testing.T) {
	g := newGate()
	j := openT(t, Options{onBatch: g.onBatch})

	// Done before the call: nothing stored.
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	if _, _, err := j.Append(cancelled, Record{Source: "s", Payload: []byte(`0`)}, DedupeNone); !errors.Is(err, context.Canceled) {
		t.Fatalf("Append with a cancelled ctx: %v, want context.Canceled", err)
	}

	// A is taken by the writer, which the gate then holds.
	ctxA, cancelA := context.WithCancel(t.Context())
	type res struct {
		seq int64
		err error
	}
	resA := make(chan res, 1)
	go func() {
		seq, _, err := j.Append(ctxA, Record{Source: "s", Payload: []byte(`"A"`)}, DedupeNone)
		resA <- res{seq, err}
	}()
	if n := <-g.taken; n != 1 {
		t.Fatalf("first batch has %d appends, want 1", n)
	}
	cancelA() // too late: A was taken

	// B is not taken while the writer is busy: its deadline wins.
	ctxB, cancelB := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancelB()
	if _, _, err := j.Append(ctxB, Record{Source: "s", Payload: []byte(`"B"`)}, DedupeNone); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Append B while the writer is busy: %v, want DeadlineExceeded", err)
	}

	close(g.release)
	if r := <-resA; r.err != nil || r.seq != 1 {
		t.Fatalf("A = %d, %v; want 1, nil despite its cancelled ctx", r.seq, r.err)
	}
	recs := pageAll(t, j)
	if len(recs) != 1 || string(recs[0].Payload) != `"A"` {
		t.Errorf("journal holds %d records (%v), want only A", len(recs), seqsOf(recs))
	}
}

func TestClose(t *testing.T) {
	ctx := t.Context()
	j, err := Open(ctx, Options{Path: filepath.Join(t.TempDir(), "j.db"), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	appendT(t, j, Record{Source: "s", Payload: []byte(`1`)}, DedupeNone)
	if err := j.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := j.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, _, err := j.Append(ctx, Record{Source: "s", Payload: []byte(`2`)}, DedupeNone); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close: %v, want ErrClosed", err)
	}
	if _, err := j.Page(ctx, 0, 10); !errors.Is(err, ErrClosed) {
		t.Errorf("Page after Close: %v, want ErrClosed", err)
	}
	if err := j.Replay(ctx, 0, func(Record) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("Replay after Close: %v, want ErrClosed", err)
	}
	if _, err := j.LastSeq(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("LastSeq after Close: %v, want ErrClosed", err)
	}
	if _, _, err := j.Stats(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Stats after Close: %v, want ErrClosed", err)
	}
	if err := j.Ping(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Ping after Close: %v, want ErrClosed", err)
	}
}

func TestCloseDuringAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	j, err := Open(t.Context(), Options{Path: path, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu   sync.Mutex
		acks []int64
		wg   sync.WaitGroup
		some = make(chan struct{})
		once sync.Once
	)
	for g := range 20 {
		wg.Go(func() {
			for i := 0; ; i++ {
				seq, _, err := j.Append(context.Background(),
					Record{Source: "s", Payload: fmt.Appendf(nil, `[%d,%d]`, g, i)}, DedupeContent)
				if err != nil {
					if !errors.Is(err, ErrClosed) {
						t.Errorf("Append during Close: %v, want ErrClosed", err)
					}
					return
				}
				mu.Lock()
				acks = append(acks, seq)
				if len(acks) >= 100 {
					once.Do(func() { close(some) })
				}
				mu.Unlock()
			}
		})
	}
	<-some
	if err := j.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wg.Wait() // every Append returned: none hangs

	// Every acknowledged append is on disk.
	j = openT(t, Options{Path: path})
	stored := make(map[int64]bool)
	for _, r := range pageAll(t, j) {
		stored[r.Seq] = true
	}
	for _, s := range acks {
		if !stored[s] {
			t.Errorf("acknowledged seq %d is missing after reopen", s)
		}
	}
	if len(stored) < len(acks) {
		t.Errorf("%d stored, %d acknowledged", len(stored), len(acks))
	}
}

func TestOnCommitPanicIsContained(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, nil))
	j := openT(t, Options{Logger: logger, OnCommit: func([]Record) { panic("boom") }})
	for i := range 2 {
		seq, _ := appendT(t, j, Record{Source: "s", Payload: fmt.Appendf(nil, "%d", i)}, DedupeNone)
		if seq != int64(i+1) {
			t.Errorf("seq %d, want %d", seq, i+1)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logs.String(), "boom") {
		t.Errorf("panic not logged: %s", logs.String())
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestQueryPlans checks that the lookups on the write path use the indexes
// instead of scanning the table.
func TestQueryPlans(t *testing.T) {
	j := openT(t, Options{})
	plans := map[string]string{
		`SELECT seq FROM events WHERE key = ? ORDER BY seq LIMIT 1`:                                                    "events_key",
		`SELECT seq, key FROM events WHERE subject = ? AND subject <> '' ORDER BY seq DESC LIMIT 1`:                    "events_subject_seq",
		`DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE received_at < ? LIMIT 5000)`:                    "events_received_at",
		`SELECT seq, received_at, source, kind, hint, subject, payload FROM events WHERE seq > ? ORDER BY seq LIMIT ?`: "INTEGER PRIMARY KEY",
	}
	for q, index := range plans {
		args := make([]any, strings.Count(q, "?"))
		for i := range args {
			args[i] = 1
		}
		rows, err := j.rdb.Query("EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		if s := strings.Join(plan, "; "); !strings.Contains(s, index) {
			t.Errorf("plan for %q is %q, want it to use %s", q, s, index)
		}
	}
}

func BenchmarkAppendParallel(b *testing.B) {
	var commits atomic.Int64
	j := openT(b, Options{OnCommit: func([]Record) { commits.Add(1) }})
	var n atomic.Int64
	payload := bytes.Repeat([]byte("x"), 400) // a typical webhook body
	b.SetParallelism(16)                      // many webhooks in flight per CPU
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			p := fmt.Appendf(nil, `{"i":%d,"pad":%q}`, i, payload)
			if _, _, err := j.Append(context.Background(), Record{Source: "comm100", Kind: "chat_ended",
				Subject: fmt.Sprintf("chat:%d", i%100), Payload: p}, DedupeContent); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
	if c := commits.Load(); c > 0 {
		b.ReportMetric(float64(b.N)/float64(c), "appends/commit")
	}
}

func BenchmarkReplay(b *testing.B) {
	const records = 10000
	j := openT(b, Options{})
	var wg sync.WaitGroup
	for w := range 64 {
		wg.Go(func() {
			for i := w; i < records; i += 64 {
				p := fmt.Appendf(nil, `{"i":%d,"pad":%q}`, i, bytes.Repeat([]byte("y"), 400))
				if _, _, err := j.Append(context.Background(), Record{Source: "comm100", Kind: "k", Payload: p}, DedupeNone); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		seen := 0
		if err := j.Replay(context.Background(), 0, func(Record) error { seen++; return nil }); err != nil {
			b.Fatal(err)
		}
		if seen != records {
			b.Fatalf("replayed %d records, want %d", seen, records)
		}
	}
	b.ReportMetric(float64(b.N)*records/b.Elapsed().Seconds(), "records/s")
}

// TestPragmas checks that the DSN took effect: WAL, full sync, the busy
// timeout and BEGIN IMMEDIATE for the writer; query_only for readers.
func TestPragmas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	j := openT(t, Options{Path: path, BusyTimeout: 1234 * time.Millisecond})
	pragma := func(db *sql.DB, name string) string {
		t.Helper()
		var v string
		if err := db.QueryRow("PRAGMA " + name).Scan(&v); err != nil {
			t.Fatalf("PRAGMA %s: %v", name, err)
		}
		return v
	}
	for db, want := range map[*sql.DB]map[string]string{
		j.wdb: {"journal_mode": "wal", "synchronous": "2", "busy_timeout": "1234", "foreign_keys": "1", "query_only": "0", "user_version": "2"},
		j.rdb: {"journal_mode": "wal", "busy_timeout": "1234", "query_only": "1"},
	} {
		for name, w := range want {
			if got := pragma(db, name); got != w {
				t.Errorf("PRAGMA %s = %s, want %s", name, got, w)
			}
		}
	}
	if _, err := j.rdb.Exec("DELETE FROM events"); err == nil {
		t.Error("the reader could write")
	}
	appendT(t, j, Record{Source: "s", Payload: []byte(`1`)}, DedupeNone)
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Errorf("no WAL file: %v", err)
	}
	// The writer's transactions take the write lock at BEGIN: with another
	// connection in a read transaction that has seen the old snapshot, a
	// deferred transaction could fail on upgrade instead.
	tx, err := j.wdb.Begin()
	if err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	_, err = other.Exec("INSERT INTO events (received_at, source, kind, key, payload) VALUES (0, 's', 'k', x'00', x'00')")
	tx.Rollback()
	if err == nil {
		t.Error("another connection could write while the writer's transaction was open: not BEGIN IMMEDIATE")
	}
}

func TestCheckpointSavedReplacedAndKeptAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	j, err := Open(t.Context(), Options{Path: path, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := j.LoadCheckpoint(t.Context()); err != nil || ok {
		t.Fatalf("LoadCheckpoint on a new journal = ok %v, err %v; want none", ok, err)
	}
	at := time.Date(2026, 3, 2, 8, 30, 0, 123, time.UTC)
	for i, cp := range []Checkpoint{
		{Seq: 7, SavedAt: at, Fingerprint: "a", State: []byte(`{"x":1}`)},
		{Seq: 9, SavedAt: at.Add(time.Minute), Fingerprint: "b", State: []byte(`{"x":2}`)},
	} {
		if err := j.SaveCheckpoint(t.Context(), cp); err != nil {
			t.Fatalf("save %d: %v", i, err)
		}
	}
	j.Close()
	if err := j.SaveCheckpoint(t.Context(), Checkpoint{Seq: 10}); !errors.Is(err, ErrClosed) {
		t.Errorf("SaveCheckpoint after Close = %v, want ErrClosed", err)
	}
	j2, err := Open(t.Context(), Options{Path: path, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer j2.Close()
	cp, ok, err := j2.LoadCheckpoint(t.Context())
	if err != nil || !ok {
		t.Fatalf("LoadCheckpoint after reopen = ok %v, err %v", ok, err)
	}
	if cp.Seq != 9 || !cp.SavedAt.Equal(at.Add(time.Minute)) || cp.Fingerprint != "b" || string(cp.State) != `{"x":2}` {
		t.Errorf("checkpoint = %+v %s, want the second one saved", cp, cp.State)
	}
}

func TestOpenMigratesVersion1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(schemaV1); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO events (received_at, source, kind, key, payload) VALUES (1, 'comm100', 'chat_ended', x'00', '{}')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	j, err := Open(t.Context(), Options{Path: path, Logger: quiet})
	if err != nil {
		t.Fatalf("Open of a version 1 journal: %v", err)
	}
	defer j.Close()
	if err := j.Ping(t.Context()); err != nil {
		t.Errorf("Ping after migration: %v", err)
	}
	if seq, err := j.LastSeq(t.Context()); err != nil || seq != 1 {
		t.Errorf("LastSeq after migration = %d, %v; want the record kept", seq, err)
	}
	if err := j.SaveCheckpoint(t.Context(), Checkpoint{Seq: 1, State: []byte("{}")}); err != nil {
		t.Errorf("SaveCheckpoint after migration: %v", err)
	}
}

// TestDedupeWithinOneBatch: in one batch of 150 appends (more than one
// lookup of keysPerLookup keys), each repeated payload is a duplicate of
// its first append, stored or earlier in the batch, and each new one is
// stored once.
func TestDedupeWithinOneBatch(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "j.db")
	// Stored before the batch: payloads 0..9.
	j0 := openT(t, Options{Path: path})
	before := map[int]int64{}
	for i := range 10 {
		before[i], _ = appendT(t, j0, Record{Source: "comm100", Kind: "k", Payload: fmt.Appendf(nil, `{"p":%d}`, i)}, DedupeContent)
	}
	j0.Close()
	g := newGate()
	j := openT(t, Options{Path: path, onBatch: g.onBatch})
	// Hold the writer on one append, then queue 150 more: payloads 0..49,
	// each three times.
	first := make(chan error, 1)
	go func() {
		_, _, err := j.Append(ctx, Record{Source: "comm100", Kind: "k", Payload: []byte(`{"hold":1}`)}, DedupeContent)
		first <- err
	}()
	<-g.taken
	const n = 150
	type res struct {
		seq int64
		dup bool
		err error
	}
	out := make([]res, n)
	var wg, started sync.WaitGroup
	started.Add(n)
	for i := range n {
		wg.Go(func() {
			started.Done()
			out[i].seq, out[i].dup, out[i].err = j.Append(ctx,
				Record{Source: "comm100", Kind: "k", Payload: fmt.Appendf(nil, `{"p":%d}`, i%50)}, DedupeContent)
		})
	}
	started.Wait()
	time.Sleep(20 * time.Millisecond) // let them reach the writer's queue; not an assertion
	close(g.release)
	wg.Wait()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if sizes := g.batchSizes(); slices.Max(sizes) <= keysPerLookup {
		t.Fatalf("batch sizes %v: no batch of more than %d appends formed", sizes, keysPerLookup)
	}
	bySeq := map[int64]int{} // seq -> payload
	for i, r := range out {
		p := i % 50
		if r.err != nil {
			t.Fatalf("append %d: %v", i, r.err)
		}
		if seq, ok := before[p]; ok {
			if !r.dup || r.seq != seq {
				t.Errorf("payload %d (stored before): seq %d dup %v, want %d dup", p, r.seq, r.dup, seq)
			}
			continue
		}
		if prev, ok := bySeq[r.seq]; ok && prev != p {
			t.Errorf("seq %d answered for payloads %d and %d", r.seq, prev, p)
		}
		bySeq[r.seq] = p
	}
	if len(bySeq) != 40 {
		t.Errorf("%d distinct seqs for the 40 new payloads, want 40", len(bySeq))
	}
	dups := 0
	for _, r := range out {
		if r.dup {
			dups++
		}
	}
	if want := n - 40; dups != want {
		t.Errorf("%d duplicates, want %d (30 of the payloads stored before, 80 repeats in the batch)", dups, want)
	}
	if count, _, err := j.Stats(ctx); err != nil || count != 10+1+40 {
		t.Errorf("journal holds %d records (%v), want %d", count, err, 10+1+40)
	}
}
