package listener

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"
)

// inflight keeps the requests being served, for a shutdown to say what it
// cut and to wait for their handlers to return.
type inflight struct {
	mu   sync.Mutex
	reqs map[*statusRecorder]request
	idle chan struct{} // closed when the last request ends; nil while none runs
}

// request is what is known of a request in flight: never its query, which
// may hold the token.
type request struct {
	what  string // "POST /webhooks/comm100 from 127.0.0.1:5000"
	start time.Time
}

func (f *inflight) add(rec *statusRecorder, req request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.reqs == nil {
		f.reqs = map[*statusRecorder]request{}
	}
	if len(f.reqs) == 0 {
		f.idle = make(chan struct{})
	}
	f.reqs[rec] = req
}

func (f *inflight) done(rec *statusRecorder) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.reqs, rec)
	if len(f.reqs) == 0 && f.idle != nil {
		close(f.idle)
		f.idle = nil
	}
}

// InFlight describes the HTTP requests being served, oldest first, each as
// method, path, client address and how long it has run (e.g. "POST
// /webhooks/comm100 from 127.0.0.1:5000 for 3.2s"). WebSocket streams,
// once upgraded, are not HTTP requests and are left out.
func (l *Listener) InFlight() []string {
	now := l.cfg.Now()
	f := &l.inflight
	f.mu.Lock()
	reqs := make([]request, 0, len(f.reqs))
	for rec, req := range f.reqs {
		if !rec.hijacked.Load() {
			reqs = append(reqs, req)
		}
	}
	f.mu.Unlock()
	sort.Slice(reqs, func(i, j int) bool { return reqs[i].start.Before(reqs[j].start) })
	out := make([]string, len(reqs))
	for i, r := range reqs {
		out[i] = fmt.Sprintf("%s for %s", r.what, now.Sub(r.start).Round(time.Millisecond))
	}
	return out
}

// Wait waits until no handler runs (WebSocket streams included), or ctx
// ends.
func (l *Listener) Wait(ctx context.Context) error {
	f := &l.inflight
	f.mu.Lock()
	idle := f.idle
	f.mu.Unlock()
	if idle == nil {
		return nil
	}
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("listener: waiting for %d handlers: %w", len(l.InFlight()), ctx.Err())
	}
}
