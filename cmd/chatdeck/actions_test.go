package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/spf13/pflag"

	"github.com/chatdeck/chatdeck/comm100api"
	"github.com/chatdeck/chatdeck/comm100api/comm100test"
)

// hana is a seeded agent of the fake API (alice is serve_test's).
const hana = "b56147a1-64f4-487b-8b33-747f88c673a3"

// actionRig is the whole app in process (hub on a real SQLite file,
// listener and stream on loopback, poller, actions) on the fake Comm100
// API, on the wall clock with the production figures sixty times faster:
// a budget of 150 calls per 5 s, polls every 250 ms, an action's call
// waits at most 50 ms for the budget; the fake API's own limit is 300 per
// 5 s.
type actionRig struct {
	t      *testing.T
	api    *comm100test.Server
	budget *comm100api.Budget
	app    *app
	base   string
}

func newActionRig(t *testing.T, actionWait, callTimeout time.Duration) *actionRig {
	t.Helper()
	r := &actionRig{t: t}
	r.api = comm100test.New(comm100test.Options{RateLimit: 300, RateWindow: 5 * time.Second})
	t.Cleanup(r.api.Close)
	r.budget = comm100api.NewBudget(150, 5*time.Second, nil)
	r.budget.SetWaits(actionWait, 0)
	quietLog := slog.New(slog.NewTextHandler(io.Discard, nil))
	client, err := comm100api.New(comm100api.Config{BaseURL: r.api.URL(), Budget: r.budget, Timeout: callTimeout, Logger: quietLog,
		Auth: comm100api.Bearer(comm100api.OAuthConfig{AccessToken: "test-token"})})
	if err != nil {
		t.Fatal(err)
	}
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	addFlags(fs, forAll)
	dir := t.TempDir()
	cfg, _, err := loadConfig(fs, func() []string { return []string{"HOME=" + dir, "XDG_CONFIG_HOME=" + dir} })
	if err != nil {
		t.Fatal(err)
	}
	cfg.DB = filepath.Join(dir, "journal.db")
	cfg.Listen = "127.0.0.1:0"
	cfg.Timezone = "UTC"
	cfg.Comm100.API = r.api.URL()
	cfg.Comm100.PollInterval = 250 * time.Millisecond
	r.app, err = startApp(context.Background(), cfg, "tok", quietLog, appOptions{api: client})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.app.close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	r.base = r.app.baseURL()
	return r
}

// metric reads one sample of /metrics (a metric without labels).
func (r *actionRig) metric(name string) float64 {
	r.t.Helper()
	a := do(http.DefaultClient, "GET", r.base+"/metrics", "", "", nil)
	if a.status != 200 {
		r.t.Errorf("metrics: %v", a)
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(a.body))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				r.t.Errorf("metric %s: %q", name, v)
			}
			return f
		}
	}
	r.t.Errorf("no metric %s", name)
	return 0
}

// health is /healthz: its HTTP status, status and problems.
func (r *actionRig) health() (int, string, map[string]string) {
	a := do(http.DefaultClient, "GET", r.base+"/healthz", "", "", nil)
	var h struct {
		Status   string
		Problems map[string]string
	}
	_ = json.Unmarshal(a.body, &h)
	return a.status, h.Status, h.Problems
}

// agent is the board's status name of an agent and the last good poll.
func (r *actionRig) agent(id string) (statusName string, lastPoll time.Time) {
	r.t.Helper()
	a := do(http.DefaultClient, "GET", r.base+"/v1/board", "tok", "", nil)
	var v struct {
		Agents []struct {
			ID         string `json:"id"`
			StatusName string `json:"status_name"`
		} `json:"agents"`
		Sources map[string]struct {
			Poll *pollState `json:"poll"`
		} `json:"sources"`
	}
	if err := json.Unmarshal(a.body, &v); err != nil {
		r.t.Fatalf("board: %v: %v", a, err)
	}
	for _, ag := range v.Agents {
		if ag.ID == id {
			statusName = ag.StatusName
		}
	}
	if p := v.Sources["comm100"].Poll; p != nil {
		lastPoll = p.LastOKAt
	}
	return statusName, lastPoll
}

// result is an action_result of the stream.
type result struct {
	ID    string `json:"id"`
	Type  string `json:"type"`
	OK    bool   `json:"ok"`
	Code  string `json:"code"`
	Error string `json:"error"`
}

// streamConn is one raw /v1/stream connection; its action results come on
// results.
type streamConn struct {
	conn    *websocket.Conn
	results chan result
	done    chan struct{}
}

func (r *actionRig) dial() *streamConn {
	r.t.Helper()
	u := "ws" + strings.TrimPrefix(r.base, "http") + "/v1/stream"
	conn, _, err := websocket.DefaultDialer.Dial(u, http.Header{"Authorization": {"Bearer tok"}})
	if err != nil {
		r.t.Fatal(err)
	}
	conn.SetReadLimit(64 << 20)
	var first result
	if err := conn.ReadJSON(&first); err != nil || first.Type != "snapshot" {
		r.t.Fatalf("first message %+v: %v", first, err)
	}
	s := &streamConn{conn: conn, results: make(chan result, 4096), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for {
			var m result
			if err := conn.ReadJSON(&m); err != nil {
				return
			}
			if m.Type == "action_result" {
				s.results <- m
			}
		}
	}()
	r.t.Cleanup(s.close)
	return s
}

func (s *streamConn) close() { _ = s.conn.Close(); <-s.done }

func (s *streamConn) send(t *testing.T, id, agent, status string) {
	t.Helper()
	if err := s.conn.WriteJSON(map[string]string{"type": "set_agent_status", "id": id, "agent": agent, "status": status}); err != nil {
		t.Fatal(err)
	}
}

// TestActionFloodIsBoundedAndPollingGoesOn: one client sends 2,000 status
// changes over the stream at once. The excess is answered busy at once (at
// most 4 of the connection in flight), the calls the budget cannot serve
// are refused (budget_exhausted) rather than promised a call in the
// future, goroutines stay bounded, the budget gauge never reads below 0,
// and polling goes on through the flood: no poll fails, and a change made
// at Comm100 afterwards reaches the board by a poll. /healthz says the
// budget is exhausted, then recovers once a window passes without a
// refusal.
func TestActionFloodIsBoundedAndPollingGoesOn(t *testing.T) {
	r := newActionRig(t, 50*time.Millisecond, 5*time.Second)
	waitUntil(t, 30*time.Second, "a first poll", func() (bool, string) {
		_, at := r.agent(alice)
		return !at.IsZero(), "no poll"
	})
	if code, status, problems := r.health(); code != 200 || status != "ok" {
		t.Fatalf("healthz before: %d %s %v", code, status, problems)
	}
	s := r.dial()
	before := runtime.NumGoroutine()

	// Sample the goroutines and the budget gauge (as /metrics shows it) all
	// through the flood.
	var mu sync.Mutex
	peak, lowest, samples := before, 1e9, 0
	stop, sampled := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-stop:
				return
			default:
			}
			left := r.metric("chatdeck_comm100_api_budget_left")
			mu.Lock()
			lowest, samples = min(lowest, left), samples+1
			mu.Unlock()
		}
	}()
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			mu.Lock()
			peak = max(peak, runtime.NumGoroutine())
			mu.Unlock()
			time.Sleep(time.Millisecond)
		}
	}()

	// At least n actions, and on until the budget has refused one: on a
	// fast host n go out before the first few in flight are done, and
	// only a flood that lasts spends the budget.
	const n = 2000
	began := time.Now()
	var exhausted atomic.Bool
	total := make(chan int, 1)
	go func() {
		i := 0
		for ; i < n || (!exhausted.Load() && time.Since(began) < 20*time.Second); i++ {
			status := "away"
			if i%2 == 1 {
				status = "online"
			}
			if s.conn.WriteJSON(map[string]string{"type": "set_agent_status", "id": strconv.Itoa(i), "agent": alice, "status": status}) != nil {
				break
			}
			if i >= n {
				time.Sleep(time.Millisecond)
			}
		}
		total <- i
	}()
	codes := map[string]int{}
	seen := map[string]bool{}
	deadline := time.After(60 * time.Second)
	sent := -1
	for sent < 0 || len(seen) < sent {
		select {
		case sent = <-total:
		case m := <-s.results:
			if m.Code == "budget_exhausted" {
				exhausted.Store(true)
			}
			if seen[m.ID] {
				t.Fatalf("two answers to %s", m.ID)
			}
			seen[m.ID] = true
			code := m.Code
			if m.OK {
				code = "ok"
			}
			codes[code]++
			switch {
			case code == "busy" && !strings.Contains(m.Error, "at most 4 per client and 16 in all"),
				code == "budget_exhausted" && !strings.Contains(m.Error, "no call free within 50ms for an action"):
				t.Errorf("answer %+v", m)
			}
		case <-deadline:
			t.Fatalf("%d of %d answered in 60 s: %v", len(seen), sent, codes)
		}
	}
	took := time.Since(began)
	close(stop)
	<-sampled
	_, _, problems := r.health()
	t.Logf("%d actions answered in %v: %v; goroutines %d before, at most %d during (%d samples); budget gauge at least %.2f",
		sent, took.Round(time.Millisecond), codes, before, peak, samples, lowest)

	if codes["ok"]+codes["busy"]+codes["budget_exhausted"] != sent || codes["busy"] < sent/2 || codes["budget_exhausted"] == 0 || codes["ok"] == 0 {
		t.Errorf("answers %v: want ok, busy (most) and budget_exhausted only", codes)
	}
	if peak > before+100 {
		t.Errorf("goroutines: %d before, %d during the flood", before, peak)
	}
	if lowest < 0 || samples == 0 {
		t.Errorf("budget gauge read %v at its lowest (%d samples)", lowest, samples)
	}
	if got := r.metric("chatdeck_actions_refused_total"); got != float64(codes["busy"]) {
		t.Errorf("chatdeck_actions_refused_total %v, want %d", got, codes["busy"])
	}
	if got := r.metric("chatdeck_comm100_api_budget_refused_total"); got != float64(codes["budget_exhausted"]) {
		t.Errorf("chatdeck_comm100_api_budget_refused_total %v, want %d", got, codes["budget_exhausted"])
	}
	if r.api.RateLimited() != 0 {
		t.Errorf("the API rate-limited %d calls", r.api.RateLimited())
	}
	// No poll failed: polls come first.
	if p, ok := problems["comm100_api"]; ok {
		t.Errorf("a poll failed during the flood: %s", p)
	}
	code, status, problems := r.health()
	if code != 200 || status != "degraded" || !contains(problems["comm100_budget"], "exhausted", "calls refused", "150 calls per 5s") {
		t.Errorf("healthz after the flood: %d %s %v", code, status, problems)
	}

	// Polling goes on: a change made at Comm100 reaches the board.
	flooded := time.Now()
	if err := r.api.SetAgentStatus(hana, "meeting"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 20*time.Second, "a poll bringing Hana's new status", func() (bool, string) {
		name, at := r.agent(hana)
		return name == "Meeting" && at.After(flooded), fmt.Sprintf("%q, last poll %v", name, at)
	})
	waitUntil(t, 30*time.Second, "/healthz ok again", func() (bool, string) {
		code, status, problems := r.health()
		return code == 200 && status == "ok", fmt.Sprintf("%d %s %v", code, status, problems)
	})
	waitUntil(t, 10*time.Second, "the goroutines back", func() (bool, string) {
		return runtime.NumGoroutine() <= before+20, fmt.Sprintf("%d, %d before", runtime.NumGoroutine(), before)
	})
}

// TestActionBoundsAreSharedByStreamAndHTTP holds actions in flight on a
// Comm100 API that does not answer: 4 on each of three stream connections
// and 4 over HTTP make the server's 16. Then a fifth on a connection is
// busy for that connection, any on a fourth connection is busy for the
// server, and the HTTP route answers 429 with Retry-After and a JSON
// error. When the calls end the places are free again.
func TestActionBoundsAreSharedByStreamAndHTTP(t *testing.T) {
	r := newActionRig(t, 0, time.Minute)
	conns := []*streamConn{r.dial(), r.dial(), r.dial(), r.dial()}
	r.api.SetFault(comm100test.Fault{Latency: time.Minute})
	for c := range 3 {
		for i := range 4 {
			conns[c].send(t, fmt.Sprintf("c%d-%d", c, i), alice, "away")
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var posts sync.WaitGroup
	for range 4 {
		posts.Add(1)
		go func() {
			defer posts.Done()
			req, _ := http.NewRequestWithContext(ctx, "POST", r.base+"/v1/agents/"+alice+"/status", strings.NewReader(`{"status":"away"}`))
			req.Header.Set("Authorization", "Bearer tok")
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
	}
	waitUntil(t, 20*time.Second, "16 actions in flight", func() (bool, string) {
		n := r.metric("chatdeck_actions_in_flight")
		return n == 16, fmt.Sprint(n)
	})
	conns[0].send(t, "fifth", alice, "away")
	if m := <-conns[0].results; m.ID != "fifth" || m.Code != "busy" || !strings.Contains(m.Error, "this client already has 4 actions in flight") {
		t.Errorf("a fifth on one connection: %+v", m)
	}
	conns[3].send(t, "more", alice, "away")
	if m := <-conns[3].results; m.ID != "more" || m.Code != "busy" || !strings.Contains(m.Error, "the server already has 16 actions in flight") {
		t.Errorf("one more on another connection: %+v", m)
	}
	a := do(http.DefaultClient, "POST", r.base+"/v1/agents/"+alice+"/status", "tok", "application/json", []byte(`{"status":"away"}`))
	if a.status != 429 || a.header.Get("Retry-After") != "1" || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") ||
		!strings.Contains(fmt.Sprint(a.json()["error"]), "busy: ") {
		t.Errorf("one more over HTTP: %v (Retry-After %q)", a, a.header.Get("Retry-After"))
	}
	// End the calls: the connections go, the HTTP clients give up.
	for _, c := range conns[:3] {
		c.close()
	}
	cancel()
	posts.Wait()
	waitUntil(t, 20*time.Second, "no action in flight", func() (bool, string) {
		n := r.metric("chatdeck_actions_in_flight")
		return n == 0, fmt.Sprint(n)
	})
	r.api.ClearFault()
	conns[3].send(t, "after", alice, "away")
	if m := <-conns[3].results; m.ID != "after" || !m.OK {
		t.Errorf("an action once the places are free: %+v", m)
	}
	if got := r.metric("chatdeck_actions_refused_total"); got != 3 {
		t.Errorf("chatdeck_actions_refused_total %v, want 3", got)
	}
}

// TestActionWithoutBudgetOverHTTPIs429: status changes over HTTP, one
// after the other, faster than the budget refills (an action may not wait
// at all here): once the bucket is empty the answer is 429 with
// Retry-After and a JSON error saying the budget has no call free, never
// a 502, and /healthz names the budget.
func TestActionWithoutBudgetOverHTTPIs429(t *testing.T) {
	r := newActionRig(t, time.Nanosecond, 5*time.Second)
	var a answer
	for i := range 500 {
		status := []string{"away", "online"}[i%2]
		a = do(http.DefaultClient, "POST", r.base+"/v1/agents/"+alice+"/status", "tok", "application/json", []byte(`{"status":"`+status+`"}`))
		if a.status != 200 {
			break
		}
	}
	if a.status != 429 || a.header.Get("Retry-After") != "1" || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") ||
		!contains(fmt.Sprint(a.json()["error"]), "no Comm100 API call free in the budget", "no call free within 1ns for an action") {
		t.Fatalf("a status change with the budget spent: %v (Retry-After %q)", a, a.header.Get("Retry-After"))
	}
	if code, status, problems := r.health(); code != 200 || status != "degraded" || !strings.Contains(problems["comm100_budget"], "exhausted") {
		t.Errorf("healthz: %d %s %v", code, status, problems)
	}
}
