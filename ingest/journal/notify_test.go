package journal

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestOnCommitOverlapsTheNextCommit: while OnCommit works on one batch, the
// writer commits the next; yet no Append returns before OnCommit has seen
// every record up to its own, a duplicate of a record still in OnCommit
// included.
func TestOnCommitOverlapsTheNextCommit(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	var seen []int64
	var batches int
	j := openT(t, Options{
		OnCommit: func(recs []Record) {
			if recs[0].Seq == 1 {
				<-release // hold the first batch in OnCommit
			}
			mu.Lock()
			for _, r := range recs {
				seen = append(seen, r.Seq)
			}
			mu.Unlock()
		},
		onBatch: func(int) {
			mu.Lock()
			batches++
			mu.Unlock()
		},
	})
	ctx := context.Background()
	type answer struct {
		seq int64
		dup bool
	}
	first := make(chan answer, 1)
	go func() {
		seq, dup, err := j.Append(ctx, Record{Source: "comm100", Kind: "k", Payload: []byte(`{"n":1}`)}, DedupeContent)
		if err != nil {
			t.Error(err)
		}
		first <- answer{seq, dup}
	}()
	// The first batch is in OnCommit: the writer commits more meanwhile.
	waitFor(t, "the first batch", func() bool { mu.Lock(); defer mu.Unlock(); return batches == 1 })
	rest := make(chan answer, 2)
	for _, p := range []string{`{"n":2}`, `{"n":1}`} {
		go func() {
			seq, dup, err := j.Append(ctx, Record{Source: "comm100", Kind: "k", Payload: []byte(p)}, DedupeContent)
			if err != nil {
				t.Error(err)
			}
			rest <- answer{seq, dup}
		}()
	}
	// The second record is committed while OnCommit holds the first.
	waitFor(t, "the second record committed", func() bool { n, _ := stats(t, j); return n == 2 })
	select {
	case a := <-rest:
		t.Fatalf("an Append returned (%+v) before OnCommit saw the first record", a)
	case <-first:
		t.Fatal("the first Append returned before its OnCommit")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if a := <-first; a.seq != 1 || a.dup {
		t.Errorf("first Append = %+v, want seq 1", a)
	}
	got := map[answer]bool{<-rest: true, <-rest: true}
	if !got[answer{2, false}] || !got[answer{1, true}] {
		t.Errorf("later Appends = %v, want seq 2 and a duplicate of 1", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 || seen[0] != 1 || seen[1] != 2 {
		t.Errorf("OnCommit saw %v, want [1 2]", seen)
	}
}
