// Package poller asks the Comm100 API for what webhooks do not say (who is
// online, who waits) and turns the answers into snapshot events on the same
// path as webhooks: journalled, on the board, streamed.
package poller

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/chatdeck/chatdeck/comm100api"
	"github.com/chatdeck/chatdeck/ingest/decode"
	"github.com/chatdeck/chatdeck/ingest/event"
	"github.com/chatdeck/chatdeck/ingest/hub"
)

// API is what the poller needs of the Comm100 client.
type API interface {
	Do(ctx context.Context, method, path string, body, out any) ([]byte, error)
}

// Sink takes the poller's events and its freshness (the hub).
type Sink interface {
	Ingest(ctx context.Context, ev *event.Event, hint string) (hub.Result, error)
	SetPoll(source string, st hub.PollStatus)
}

// Config configures a Poller.
type Config struct {
	API  API
	Sink Sink
	// Interval between polls of agents and visitors. Default 15 s: two
	// calls per poll, 40 calls per 5 minutes, well inside the default
	// budget of 150 with room for actions and the directory.
	Interval time.Duration
	// DirectoryEvery is how often names, departments and away statuses are
	// fetched again. Default 10 minutes.
	DirectoryEvery time.Duration
	// MaxBackoff caps the wait after failures. Default 5 minutes.
	MaxBackoff time.Duration
	Clock      comm100api.Clock
	Logger     *slog.Logger
}

// Source is the name the poller reports its freshness under.
const Source = "comm100"

// Poller polls until its Run's context ends.
type Poller struct {
	cfg Config

	mu sync.Mutex // one poll at a time (Run's and a refresh's)

	directory, departments, awayStatuses json.RawMessage
	directoryAt                          time.Time
	status                               hub.PollStatus
}

// New returns a poller.
func New(cfg Config) *Poller {
	if cfg.Interval <= 0 {
		cfg.Interval = 15 * time.Second
	}
	if cfg.DirectoryEvery <= 0 {
		cfg.DirectoryEvery = 10 * time.Minute
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 5 * time.Minute
	}
	if cfg.Clock == nil {
		cfg.Clock = comm100api.RealClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Poller{cfg: cfg}
}

// Run polls at the interval until ctx ends, backing off (exponentially,
// with jitter, up to MaxBackoff) while polls fail. It returns ctx's error.
func (p *Poller) Run(ctx context.Context) error {
	failures := 0
	for {
		err := p.Poll(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		wait := p.cfg.Interval
		if err != nil {
			failures++
			wait = min(p.cfg.Interval<<min(failures, 16), p.cfg.MaxBackoff)
			wait = wait/2 + time.Duration(rand.Int64N(int64(wait/2)+1))
			p.cfg.Logger.Warn("comm100 poll failed", "err", err, "failures", failures, "next_in", wait.Round(time.Second))
		} else {
			failures = 0
		}
		if err := p.cfg.Clock.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// Poll polls once: the directory when due, then agents and visitors.
func (p *Poller) Poll(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.cfg.Clock.Now()
	p.status.LastAttemptAt = now
	err := p.poll(ctx, now)
	if err != nil {
		p.status.LastError = err.Error()
		p.status.LastErrorAt = now
	} else {
		p.status.LastOKAt = p.cfg.Clock.Now()
		p.status.LastError = ""
	}
	p.cfg.Sink.SetPoll(Source, p.status)
	return err
}

func (p *Poller) poll(ctx context.Context, now time.Time) error {
	if p.directory == nil || now.Sub(p.directoryAt) >= p.cfg.DirectoryEvery {
		if err := p.fetchDirectory(ctx); err != nil {
			return err
		}
		p.directoryAt = now
	}
	agents, err := p.get(ctx, "livechat/agents")
	if err != nil {
		return err
	}
	body, err := json.Marshal(map[string]json.RawMessage{
		"agents": agents, "directory": p.directory, "away_statuses": p.awayStatuses,
	})
	if err != nil {
		return fmt.Errorf("poller: %w", err)
	}
	if err := p.ingest(ctx, decode.HintAgents, body); err != nil {
		return err
	}
	visitors, err := p.get(ctx, "livechat/visitors")
	if err != nil {
		return err
	}
	waiting, err := waitingOnly(visitors)
	if err != nil {
		return fmt.Errorf("poller: livechat/visitors: %w", err)
	}
	body, err = json.Marshal(map[string]json.RawMessage{"visitors": waiting, "departments": p.departments})
	if err != nil {
		return fmt.Errorf("poller: %w", err)
	}
	return p.ingest(ctx, decode.HintVisitors, body)
}

// fetchDirectory gets agents' names, departments and away statuses. A
// site without the endpoint (or without rights to it) still polls: names
// and department names are just missing.
func (p *Poller) fetchDirectory(ctx context.Context) error {
	for _, f := range []struct {
		path string
		dst  *json.RawMessage
	}{
		{"global/agents", &p.directory},
		{"global/departments", &p.departments},
		{"global/agentAwayStatuses", &p.awayStatuses},
	} {
		raw, err := p.get(ctx, f.path)
		switch {
		case err == nil:
			*f.dst = raw
		case errors.Is(err, comm100api.ErrNotFound), errors.Is(err, comm100api.ErrUnauthorized) && f.path != "global/agents":
			p.cfg.Logger.Warn("comm100 poll: optional endpoint unavailable", "path", f.path, "err", err)
			*f.dst = json.RawMessage("[]")
		default:
			return err
		}
	}
	return nil
}

func (p *Poller) get(ctx context.Context, path string) (json.RawMessage, error) {
	raw, err := p.cfg.API.Do(ctx, http.MethodGet, path, nil, nil)
	if err != nil {
		return nil, err
	}
	raw = bytes.TrimSpace(raw)
	if !json.Valid(raw) || len(raw) == 0 || raw[0] != '[' {
		return nil, &comm100api.MalformedError{Method: http.MethodGet, Path: path, Err: errors.New("expected a JSON array"),
			Body: string(raw[:min(len(raw), comm100api.MaxErrorBody)])}
	}
	return raw, nil
}

func (p *Poller) ingest(ctx context.Context, hint string, body []byte) error {
	ev, err := decode.Decode(decode.Input{Source: event.Comm100, Hint: hint, Body: body, ReceivedAt: p.cfg.Clock.Now().UTC()})
	if err != nil {
		return fmt.Errorf("poller: %s: %w", hint, err)
	}
	if _, err := p.cfg.Sink.Ingest(ctx, &ev, hint); err != nil {
		return fmt.Errorf("poller: %s: %w", hint, err)
	}
	return nil
}

// waitingOnly keeps the visitors whose status says they wait: the rest do
// not change the board, and journalling the whole site every poll would
// fill the journal with page views.
func waitingOnly(raw json.RawMessage) (json.RawMessage, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, err
	}
	kept := make([]json.RawMessage, 0, len(items))
	for _, it := range items {
		var v struct {
			Status json.RawMessage `json:"status"`
		}
		if json.Unmarshal(it, &v) != nil {
			continue
		}
		var s string
		if json.Unmarshal(v.Status, &s) != nil {
			s = string(v.Status)
		}
		if decode.VisitorState(s).Waiting() {
			kept = append(kept, it)
		}
	}
	return json.Marshal(kept)
}
