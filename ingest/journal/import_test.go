package journal

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestImportAtGivenSeqs: records go in at the Seqs they carry, gaps and
// all; DedupeLatest repeats (within the batch and against what is stored)
// are not stored and name the record they repeat; content repeats are
// stored (the stream decided); OnCommit gets exactly the stored ones;
// Head follows the Seqs, also across a reopen; a Seq at or below the head
// is refused and stores nothing.
func TestImportAtGivenSeqs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "copy.db")
	var mu sync.Mutex
	var committed []int64
	onCommit := func(recs []Record) {
		mu.Lock()
		defer mu.Unlock()
		for _, r := range recs {
			committed = append(committed, r.Seq)
		}
	}
	j := openT(t, Options{Path: path, OnCommit: onCommit})
	ctx := context.Background()
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	rec := func(seq int64, subject, payload string) Record {
		return Record{Seq: seq, ReceivedAt: at, Source: "comm100", Kind: "k", Subject: subject, Payload: []byte(payload)}
	}
	got, err := j.Import(ctx, []Record{
		rec(3, "", `{"a":1}`),
		rec(4, "agent:1", `{"s":"away"}`),
		rec(7, "agent:1", `{"s":"away"}`), // repeats 4
		rec(8, "", `{"a":1}`),             // a content repeat: stored
		rec(9, "agent:1", `{"s":"online"}`),
	}, []Dedupe{DedupeContent, DedupeLatest, DedupeLatest, DedupeContent, DedupeLatest})
	if err != nil {
		t.Fatal(err)
	}
	want := []Imported{{3, false}, {4, false}, {4, true}, {8, false}, {9, false}}
	if !slices.Equal(got, want) {
		t.Errorf("Import = %v, want %v", got, want)
	}
	got, err = j.Import(ctx, []Record{rec(12, "agent:1", `{"s":"online"}`), rec(13, "agent:1", `{"s":"away"}`)},
		[]Dedupe{DedupeLatest, DedupeLatest})
	if err != nil {
		t.Fatal(err)
	}
	if want := []Imported{{9, true}, {13, false}}; !slices.Equal(got, want) {
		t.Errorf("second Import = %v, want %v", got, want)
	}
	recs := pageAll(t, j)
	if s := seqsOf(recs); !slices.Equal(s, []int64{3, 4, 8, 9, 13}) {
		t.Errorf("stored Seqs %v, want [3 4 8 9 13]", s)
	}
	if !recs[0].ReceivedAt.Equal(at) || string(recs[0].Payload) != `{"a":1}` || recs[1].Subject != "agent:1" {
		t.Errorf("stored record %+v, want the imported fields", recs[0])
	}
	mu.Lock()
	if !slices.Equal(committed, []int64{3, 4, 8, 9, 13}) {
		t.Errorf("OnCommit got %v, want the stored Seqs", committed)
	}
	mu.Unlock()
	// A repeat at the tail (12 above) is not stored: the head is the last
	// stored Seq, so a copy resuming from it decides 12 again, alike.
	if h, _ := j.Head(ctx); h != 13 {
		t.Errorf("Head %d, want 13", h)
	}
	_, err = j.Import(ctx, []Record{rec(13, "", `{"b":1}`)}, []Dedupe{DedupeContent})
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, errImportOrder) {
		t.Errorf("Import at the head: %v, want refused", err)
	}
	_, err = j.Import(ctx, []Record{rec(20, "", `{"b":1}`), rec(20, "", `{"b":2}`)}, []Dedupe{DedupeContent, DedupeContent})
	if err == nil {
		t.Error("Import with a repeated Seq: nil error")
	}
	if _, err := j.Import(ctx, []Record{rec(20, "", `{}`)}, nil); err == nil {
		t.Error("Import without modes: nil error")
	}
	if n := len(pageAll(t, j)); n != 5 {
		t.Errorf("refused imports stored something: %d records", n)
	}
	// An Append after imports continues above them.
	if seq, _ := appendT(t, j, Record{Source: "comm100", Kind: "k", Payload: []byte(`{"c":1}`)}, DedupeContent); seq != 14 {
		t.Errorf("Append after imports: seq %d, want 14", seq)
	}
	j.Close()
	j2 := openT(t, Options{Path: path})
	if h, _ := j2.Head(ctx); h != 14 {
		t.Errorf("Head after reopen %d, want 14", h)
	}
}
