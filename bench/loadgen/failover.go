package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// failoverOptions are the flags of loadgen failover.
type failoverOptions struct {
	urls     []string // the nodes' bases, as a load balancer would spread them
	token    string
	workers  int
	kill     int           // the pid to SIGKILL
	after    time.Duration // when to kill it
	duration time.Duration // the whole run
}

// failover posts unique Comm100 chat requests from workers, each to the
// node after the one it used last when a post fails (as a load balancer
// retries elsewhere), kills opts.kill with SIGKILL after opts.after, and
// reports the stall: from the kill to the first 2xx answer to a webhook
// sent after it, and the longest any acknowledged webhook took.
func failover(ctx context.Context, o failoverOptions, out io.Writer) error {
	if len(o.urls) == 0 || o.token == "" || o.kill <= 0 {
		return errors.New("failover needs -urls, -token and -kill")
	}
	type answer struct {
		sent, done time.Time
		ok         bool
	}
	var mu sync.Mutex
	var answers []answer
	runCtx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	var wg sync.WaitGroup
	for w := range o.workers {
		wg.Go(func() {
			c := &http.Client{Timeout: 20 * time.Second}
			node := w % len(o.urls)
			for i := 0; runCtx.Err() == nil; i++ {
				id := fmt.Sprintf("fo-%d-%d-%d", time.Now().UnixNano(), w, i)
				body := `{"event":"chat_request","visitor":{"id":"` + id + `","chat_id":"` + id + `","status":0,"name":"F"}}`
				sent := time.Now()
				req, _ := http.NewRequestWithContext(runCtx, "POST", strings.TrimRight(o.urls[node], "/")+"/webhooks/comm100?token="+o.token,
					bytes.NewBufferString(body))
				resp, err := c.Do(req)
				ok := false
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					ok = resp.StatusCode == http.StatusOK
				}
				if runCtx.Err() != nil {
					return
				}
				mu.Lock()
				answers = append(answers, answer{sent, time.Now(), ok})
				mu.Unlock()
				if !ok {
					node = (node + 1) % len(o.urls)
					time.Sleep(5 * time.Millisecond)
				}
			}
		})
	}
	var killed time.Time
	select {
	case <-runCtx.Done():
	case <-time.After(o.after):
		killed = time.Now()
		if err := syscall.Kill(o.kill, syscall.SIGKILL); err != nil {
			cancel()
			wg.Wait()
			return fmt.Errorf("kill %d: %w", o.kill, err)
		}
	}
	wg.Wait()
	if killed.IsZero() {
		return errors.New("the run ended before the kill")
	}
	var first time.Time
	var before, failed int
	var lat []time.Duration
	for _, a := range answers {
		if a.ok {
			lat = append(lat, a.done.Sub(a.sent))
		}
		switch {
		case !a.ok:
			failed++
		case a.sent.Before(killed):
			before++
		case first.IsZero() || a.done.Before(first):
			first = a.done
		}
	}
	if first.IsZero() {
		return fmt.Errorf("no 2xx after the kill in %v", o.duration-o.after)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	fmt.Fprintf(out, "FAILOVER stall_ms=%d acked=%d acked_before_kill=%d failed=%d max_ack_ms=%d p50_ack_ms=%.1f\n",
		first.Sub(killed).Milliseconds(), len(lat), before, failed, lat[len(lat)-1].Milliseconds(),
		float64(lat[len(lat)/2].Microseconds())/1000)
	return nil
}
