package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// requireEnv names the variable CI sets so that tests needing what a
// machine may lack (root's immutable files, mounting a tmpfs) fail there
// instead of skipping.
const requireEnv = "CHATDECK_REQUIRE_FAULTS"

// skipOrFail skips the test, or fails it when CI requires it to run.
func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv(requireEnv) != "" {
		t.Fatalf(format+" (and %s is set)", append(args, requireEnv)...)
	}
	t.Skipf(format, args...)
}

// chatRequestBody is a Comm100 chat_request whose visitor and chat ids
// are id: every id is a new event.
func chatRequestBody(id string) []byte {
	return []byte(`{"event":"chat_request","visitor":{"id":"` + id + `","chat_id":"` + id + `","status":0,"name":"Load ` + id + `"}}`)
}

// answer is one HTTP answer, or the error instead of one.
type answer struct {
	status int
	header http.Header
	body   []byte
	err    error
}

func (a answer) String() string {
	if a.err != nil {
		return "error " + a.err.Error()
	}
	return fmt.Sprintf("%d %.300s", a.status, a.body)
}

func (a answer) json() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(a.body, &m)
	return m
}

func do(c *http.Client, method, url, bearer, ctype string, body []byte) answer {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return answer{err: err}
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{status: resp.StatusCode, err: err}
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

// postWebhook posts a Comm100 webhook.
func postWebhook(c *http.Client, base, token string, body []byte) answer {
	return do(c, "POST", base+"/webhooks/comm100?token="+token, "", "application/json", body)
}

// event is one record of GET /v1/events.
type event struct {
	Cursor  string          `json:"cursor"`
	Kind    string          `json:"kind"`
	Payload json.RawMessage `json:"payload"`
}

// allEvents pages through the whole journal.
func allEvents(t *testing.T, c *http.Client, base, token string) []event {
	t.Helper()
	var out []event
	after := ""
	for {
		a := do(c, "GET", base+"/v1/events?limit=1000&after="+after, token, "", nil)
		if a.err != nil || a.status != 200 {
			t.Fatalf("GET /v1/events: %v", a)
		}
		var page struct {
			Events []event `json:"events"`
			Next   string  `json:"next"`
		}
		if err := json.Unmarshal(a.body, &page); err != nil {
			t.Fatalf("events page: %v", err)
		}
		out = append(out, page.Events...)
		if page.Next == "" {
			return out
		}
		after = page.Next
	}
}

// chatIDOf is the visitor id of a chatRequestBody payload.
func chatIDOf(p json.RawMessage) string {
	var v struct {
		Visitor struct {
			ID string `json:"id"`
		} `json:"visitor"`
	}
	_ = json.Unmarshal(p, &v)
	return v.Visitor.ID
}

// load posts new chat requests from several workers until stopped, and
// keeps every outcome.
type load struct {
	mu      sync.Mutex
	acked   map[string]string // id → cursor of the 2xx
	answers map[string]int    // status (or "conn") → count
	bad     []string          // answers that are neither 2xx, 503 nor a connection error
	n       atomic.Int64      // 2xx so far
	oks     []span            // when each 2xx was sent and answered
	stop    chan struct{}
	wg      sync.WaitGroup
}

// startLoad starts workers posting to base until stopLoad.
func startLoad(base, token, prefix string, workers int) *load {
	l := &load{acked: map[string]string{}, answers: map[string]int{}, stop: make(chan struct{})}
	for w := range workers {
		l.wg.Go(func() {
			c := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 2}}
			defer c.CloseIdleConnections()
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				id := fmt.Sprintf("%s-%d-%d", prefix, w, i)
				sent := time.Now()
				a := postWebhook(c, base, token, chatRequestBody(id))
				l.note(id, a)
				if a.err == nil && a.status == http.StatusOK {
					l.mu.Lock()
					l.oks = append(l.oks, span{sent, time.Now()})
					l.mu.Unlock()
				}
				if a.err != nil {
					time.Sleep(5 * time.Millisecond) // the server is gone: do not spin
				}
			}
		})
	}
	return l
}

// span is when a request was sent and when it was answered.
type span struct{ sent, done time.Time }

// firstOKSentAfter is when the first 2xx to a request sent at or after t
// came, zero if none did.
func (l *load) firstOKSentAfter(t time.Time) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	var first time.Time
	for _, s := range l.oks {
		if !s.sent.Before(t) && (first.IsZero() || s.done.Before(first)) {
			first = s.done
		}
	}
	return first
}

func (l *load) note(id string, a answer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case a.err != nil && a.status == 0:
		l.answers["conn"]++
	case a.err != nil && a.status >= 200 && a.status < 300:
		// The status line came, the body was cut: a vendor counts that
		// as delivered, so it must be stored (the cursor is unknown).
		l.acked[id] = ""
		l.n.Add(1)
		l.answers["2xx cut"]++
	case a.err != nil:
		l.answers["cut"]++
	case a.status >= 200 && a.status < 300:
		var ack struct {
			OK     bool   `json:"ok"`
			Cursor string `json:"cursor"`
		}
		if json.Unmarshal(a.body, &ack) != nil || !ack.OK || ack.Cursor == "" {
			l.bad = append(l.bad, id+": "+a.String())
			return
		}
		l.acked[id] = ack.Cursor
		l.n.Add(1)
		l.answers["2xx"]++
	case a.status == http.StatusServiceUnavailable:
		l.answers["503"]++
	default:
		l.answers[fmt.Sprint(a.status)]++
		l.bad = append(l.bad, id+": "+a.String())
	}
}

// waitAcked waits until n posts were acknowledged.
func (l *load) waitAcked(t *testing.T, n int64, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for l.n.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d posts acknowledged in %v", l.n.Load(), n, within)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (l *load) stopLoad() {
	close(l.stop)
	l.wg.Wait()
}

// checkAllAcknowledgedStored checks that every acknowledged post is in the
// journal, under the cursor its acknowledgement gave, and nothing twice.
func (l *load) checkAllAcknowledgedStored(t *testing.T, evs []event) {
	t.Helper()
	stored := map[string]string{}
	for _, e := range evs {
		id := chatIDOf(e.Payload)
		if id == "" {
			continue
		}
		if prev, dup := stored[id]; dup {
			t.Errorf("%s stored twice: cursors %s and %s", id, prev, e.Cursor)
		}
		stored[id] = e.Cursor
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	lost := 0
	for id, cursor := range l.acked {
		got, ok := stored[id]
		switch {
		case !ok:
			lost++
			if lost <= 5 {
				t.Errorf("%s was answered 2xx (cursor %s) but is not in the journal", id, cursor)
			}
		case cursor != "" && got != cursor:
			t.Errorf("%s was acknowledged as cursor %s but is stored as %s", id, cursor, got)
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged webhooks lost", lost, len(l.acked))
	}
	for _, b := range l.bad {
		t.Errorf("an answer neither 2xx, 503 nor a connection error: %s", b)
	}
	t.Logf("answers %v; %d acknowledged, %d stored", l.answers, len(l.acked), len(stored))
}

// waitUntil polls cond until it holds or within passes.
func waitUntil(t *testing.T, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within %v; last: %s", what, within, state)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// contains reports whether s holds every one of subs.
func contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
