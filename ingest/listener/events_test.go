package listener_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chatdeck/chatdeck/ingest/hub"
	"github.com/chatdeck/chatdeck/ingest/journal"
	"github.com/chatdeck/chatdeck/ingest/listener"
)

// TestEventsPagesAreBoundedByBytes journals 100 payloads of 40 KB and
// pages through them with the largest count allowed and a 256 KiB bound:
// every page is within the bound, there are as many pages as the bound
// makes, and following next gives every event once, in order, whole.
func TestEventsPagesAreBoundedByBytes(t *testing.T) {
	const bound = 256 << 10
	h, err := hub.Open(context.Background(), hub.Config{Journal: journal.Options{Path: filepath.Join(t.TempDir(), "j.db")}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	l, err := listener.New(listener.Config{Token: token, Logger: quiet, EventsPageBytes: bound}, h)
	if err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, hub: h, srv: httptest.NewServer(l)}
	t.Cleanup(s.stop)
	pad := strings.Repeat("<x>", 40<<10/3) // escaped by encoding/json, not by the page
	for i := range 100 {
		s.post("/webhooks/comm100", fmt.Appendf(nil, `{"event":"custom_%d","pad":"%s"}`, i, pad))
	}
	var cursors []string
	after, pages := "", 0
	for pages < 100 {
		r := s.do("GET", "/v1/events?limit=1000&after="+after, "", nil, token)
		pages++
		if r.status != 200 || len(r.body) > bound {
			t.Fatalf("page %d: %d, %d bytes (bound %d)", pages, r.status, len(r.body), bound)
		}
		var page listener.EventsPage
		if err := json.Unmarshal(r.body, &page); err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		for _, e := range page.Events {
			cursors = append(cursors, e.Cursor)
			var p struct{ Event, Pad string }
			if err := json.Unmarshal(e.Payload, &p); err != nil || p.Pad != pad {
				t.Fatalf("cursor %s: payload not whole: %v", e.Cursor, err)
			}
		}
		if page.Next == "" {
			break
		}
		if len(page.Events) == 0 || page.Next != page.Events[len(page.Events)-1].Cursor {
			t.Fatalf("page %d: next %q after %d events", pages, page.Next, len(page.Events))
		}
		after = page.Next
	}
	want := make([]string, 100)
	for i := range want {
		want[i] = strconv.Itoa(i + 1)
	}
	if strings.Join(cursors, ",") != strings.Join(want, ",") {
		t.Errorf("cursors paged: %v, want 1..100 once each", cursors)
	}
	// 100 × 40 KB in pages of at most 256 KiB: at least 16, and each page
	// about full (6 events of 40 KB fit, not 7).
	t.Logf("100 payloads of %d bytes in %d pages of at most %d bytes", len(pad)+30, pages, bound)
	if pages < 16 || pages > 18 {
		t.Errorf("%d pages, want 16 to 18", pages)
	}
	// A bound smaller than one event still moves on: one event a page.
	small, err := listener.New(listener.Config{Token: token, Logger: quiet, EventsPageBytes: 1000}, h)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(small)
	defer srv.Close()
	s2 := &server{t: t, hub: h, srv: srv}
	r := s2.do("GET", "/v1/events?after=5", "", nil, token)
	var page listener.EventsPage
	if err := json.Unmarshal(r.body, &page); err != nil || len(page.Events) != 1 || page.Events[0].Cursor != "6" || page.Next != "6" {
		t.Errorf("bound under one event: %d events, next %q, %v", len(page.Events), page.Next, err)
	}
	s2.srv = nil // s closes the hub
}
