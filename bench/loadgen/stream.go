package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatdeck/chatdeck/fixtures/traffic"
)

type streamOptions struct {
	base, token string
	rate        float64
	duration    time.Duration
	clients     int
	workers     int
}

// streamResult is what a stream run measured.
type streamResult struct {
	opts     streamOptions
	posted   int           // webhooks answered 2xx
	failed   int           // webhooks answered otherwise, or not at all
	expected int           // events × clients
	received int           // events that reached a client
	missing  int           // expected but never received
	gaps     int           // cursor jumps seen by clients
	dropped  int           // clients the server dropped as slow
	lat      []int64       // POST sent → event at a client, ns, all clients
	answer   []int64       // POST sent → answer, ns
	lateMax  time.Duration // how far behind schedule a post started, at worst
	took     time.Duration
}

func (r *streamResult) ok() bool {
	return r.failed == 0 && r.missing == 0 && r.gaps == 0 && r.dropped == 0
}

func pct(v []int64, p float64) time.Duration {
	if len(v) == 0 {
		return 0
	}
	i := int(p / 100 * float64(len(v)-1))
	return time.Duration(v[i])
}

func (r *streamResult) print(out io.Writer) {
	slices.Sort(r.lat)
	slices.Sort(r.answer)
	ms := func(d time.Duration) string { return strconv.FormatFloat(d.Seconds()*1000, 'f', 2, 64) }
	fmt.Fprintf(out, "STREAM clients=%d rate=%.0f duration_s=%.0f posted=%d failed=%d achieved_rate=%.1f expected=%d received=%d missing=%d gaps=%d dropped=%d\n",
		r.opts.clients, r.opts.rate, r.opts.duration.Seconds(), r.posted, r.failed, float64(r.posted)/r.took.Seconds(),
		r.expected, r.received, r.missing, r.gaps, r.dropped)
	fmt.Fprintf(out, "LATENCY post_to_client_ms p50=%s p90=%s p99=%s p999=%s max=%s answer_ms p50=%s p99=%s late_start_max_ms=%s\n",
		ms(pct(r.lat, 50)), ms(pct(r.lat, 90)), ms(pct(r.lat, 99)), ms(pct(r.lat, 99.9)), ms(pct(r.lat, 100)),
		ms(pct(r.answer, 50)), ms(pct(r.answer, 99)), ms(r.lateMax))
}

// client is one WebSocket client's record: when each marked event arrived.
type client struct {
	arrived []int64 // by mark number; 0 if not (yet)
	gaps    int
	dropped atomic.Bool // the server dropped the client as slow
	failed  atomic.Bool // the connection failed otherwise
}

// runStream connects the clients, posts for the duration at the rate, waits
// for the stream to drain, and gathers the figures.
func runStream(ctx context.Context, o streamOptions) (*streamResult, error) {
	hooks, err := traffic.SpecWebhooks()
	if err != nil {
		return nil, err
	}
	total := int(o.rate * o.duration.Seconds())
	wsURL, err := streamURL(o.base)
	if err != nil {
		return nil, err
	}
	// A run tag keeps marks of different runs apart in one journal.
	tag := strconv.FormatInt(time.Now().UnixNano()%1e9, 36)

	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	clients := make([]*client, o.clients)
	var ready, done sync.WaitGroup
	dialer := &websocket.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 64 << 10}
	hdr := http.Header{"Authorization": {"Bearer " + o.token}}
	for i := range clients {
		c := &client{arrived: make([]int64, total)}
		clients[i] = c
		conn, resp, err := dialer.DialContext(cctx, wsURL, hdr)
		if resp != nil && resp.Body != nil {
			_ = resp.Body.Close()
		}
		if err != nil {
			return nil, fmt.Errorf("client %d: %w", i, err)
		}
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			c.read(cctx, conn, tag, &ready)
		}()
	}
	ready.Wait() // every client has its snapshot: the events that follow are ours

	// Post, open loop: post n starts at start + n/rate, whatever the
	// answers before it.
	sent := make([]int64, total)
	answered := make([]int64, total)
	var posted, failed atomic.Int64
	var lateMax atomic.Int64
	tr := &http.Transport{MaxIdleConnsPerHost: o.workers, MaxConnsPerHost: o.workers}
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	jobs := make(chan int, total)
	var workers sync.WaitGroup
	start := time.Now()
	interval := time.Duration(float64(time.Second) / o.rate)
	for range o.workers {
		workers.Go(func() {
			for n := range jobs {
				due := start.Add(time.Duration(n) * interval)
				for late := int64(time.Since(due)); ; {
					cur := lateMax.Load()
					if late <= cur || lateMax.CompareAndSwap(cur, late) {
						break
					}
				}
				h := hooks[n%len(hooks)]
				body := traffic.Mark(h.Body, tag+"-"+strconv.Itoa(n))
				t0 := time.Now()
				sent[n] = t0.UnixNano()
				if postOne(cctx, hc, o.base+h.Route+"?token="+url.QueryEscape(o.token), body) {
					posted.Add(1)
				} else {
					failed.Add(1)
				}
				answered[n] = time.Since(t0).Nanoseconds()
			}
		})
	}
	tick := time.NewTicker(time.Millisecond)
	next := 0
	for next < total && cctx.Err() == nil {
		<-tick.C
		due := int(time.Since(start) / interval)
		for ; next < total && next <= due; next++ {
			jobs <- next
		}
	}
	tick.Stop()
	close(jobs)
	workers.Wait()
	took := time.Since(start)
	tr.CloseIdleConnections()

	// Let the stream drain: every client should have every event.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && !allArrived(clients, total) {
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	done.Wait()

	r := &streamResult{opts: o, posted: int(posted.Load()), failed: int(failed.Load()), took: took,
		lateMax: time.Duration(lateMax.Load())}
	for n := range total {
		if answered[n] > 0 {
			r.answer = append(r.answer, answered[n])
		}
	}
	r.expected = total * len(clients)
	for _, c := range clients {
		if c.dropped.Load() {
			r.dropped++
		}
		r.gaps += c.gaps
		for n, at := range c.arrived {
			if at == 0 {
				r.missing++
				continue
			}
			r.received++
			r.lat = append(r.lat, at-sent[n])
		}
	}
	return r, nil
}

func allArrived(clients []*client, total int) bool {
	for _, c := range clients {
		if c.dropped.Load() || c.failed.Load() {
			return true // no point waiting
		}
		for n := total - 1; n >= 0 && n >= total-50; n-- {
			if atomic.LoadInt64(&c.arrived[n]) == 0 {
				return false
			}
		}
	}
	return true
}

func postOne(ctx context.Context, hc *http.Client, u string, body []byte) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode/100 == 2
}

func streamURL(base string) (string, error) {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("url %q: want http://host:port", base)
	}
	u.Scheme = "ws"
	u.Path += "/v1/stream"
	return u.String(), nil
}

// read reads the stream until ctx ends: the snapshot (then ready is
// done), then events, noting when each marked one arrived and whether a
// cursor was skipped.
func (c *client) read(ctx context.Context, conn *websocket.Conn, tag string, ready *sync.WaitGroup) {
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	defer conn.Close()
	var buf bytes.Buffer
	first := true
	defer func() {
		if first {
			ready.Done()
		}
	}()
	var last int64 = -1
	prefix := []byte(tag + "-")
	for {
		typ, r, err := conn.NextReader()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) && strings.Contains(ce.Text, "slow") {
				c.dropped.Store(true)
			} else if ctx.Err() == nil {
				c.failed.Store(true)
			}
			return
		}
		if typ != websocket.TextMessage {
			continue
		}
		buf.Reset()
		if _, err := buf.ReadFrom(r); err != nil {
			c.failed.Store(true)
			return
		}
		now := time.Now().UnixNano()
		msg := buf.Bytes()
		if first {
			first = false
			ready.Done()
			continue // the snapshot
		}
		if !bytes.HasPrefix(msg, []byte(`{"type":"event"`)) {
			continue
		}
		if cur, ok := cursorOf(msg); ok {
			if last >= 0 && cur != last+1 {
				c.gaps++
			}
			last = cur
		}
		mark := traffic.FindMark(msg)
		if !strings.HasPrefix(mark, string(prefix)) {
			continue
		}
		n, err := strconv.Atoi(mark[len(prefix):])
		if err != nil || n < 0 || n >= len(c.arrived) {
			continue
		}
		atomic.StoreInt64(&c.arrived[n], now)
	}
}

// cursorOf reads the cursor of an event message.
func cursorOf(msg []byte) (int64, bool) {
	const key = `"cursor":"`
	i := bytes.Index(msg, []byte(key))
	if i < 0 {
		return 0, false
	}
	rest := msg[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(string(rest[:j]), 10, 64)
	return n, err == nil
}

// watch keeps clients connected to the stream for d, then prints how many
// event messages they received and whether any was dropped.
func watch(ctx context.Context, base, token string, clients int, d time.Duration, out io.Writer) error {
	wsURL, err := streamURL(base)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	dialer := &websocket.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 64 << 10}
	hdr := http.Header{"Authorization": {"Bearer " + token}}
	var events, dropped atomic.Int64
	var wg sync.WaitGroup
	for i := range clients {
		conn, resp, err := dialer.DialContext(ctx, wsURL, hdr)
		if resp != nil && resp.Body != nil {
			_ = resp.Body.Close()
		}
		if err != nil {
			cancel()
			wg.Wait()
			return fmt.Errorf("client %d: %w", i, err)
		}
		wg.Go(func() {
			stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
			defer stop()
			defer conn.Close()
			for {
				_, msg, err := conn.ReadMessage()
				if err != nil {
					var ce *websocket.CloseError
					if errors.As(err, &ce) && strings.Contains(ce.Text, "slow") {
						dropped.Add(1)
					}
					return
				}
				if bytes.HasPrefix(msg, []byte(`{"type":"event"`)) {
					events.Add(1)
				}
			}
		})
	}
	wg.Wait()
	fmt.Fprintf(out, "WATCH clients=%d events=%d dropped=%d\n", clients, events.Load(), dropped.Load())
	return nil
}
