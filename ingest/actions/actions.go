// Package actions is the one way chatdeck changes things at a vendor: set an
// agent's status, tag a visitor with a custom variable. Direct calls the
// Comm100 API and journals the outcome as an event, so every screen sees
// it; a remote implementation (over the server's stream) satisfies the same
// interface.
package actions

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/chatdeck/chatdeck/comm100api"
	"github.com/chatdeck/chatdeck/ingest/decode"
	"github.com/chatdeck/chatdeck/ingest/event"
	"github.com/chatdeck/chatdeck/ingest/hub"
)

// Actions changes things at the vendor. A nil error means the vendor
// accepted the change and the resulting event is journalled (Outcome.Cursor).
type Actions interface {
	SetAgentStatus(ctx context.Context, agentID, status string) (Outcome, error)
	TagVisitor(ctx context.Context, visitorID, name, value string) (Outcome, error)
}

// Outcome is what a successful action did.
type Outcome struct {
	Cursor  int64          `json:"cursor,string"`
	Agent   *event.Agent   `json:"agent,omitempty"`
	Visitor *event.Visitor `json:"visitor,omitempty"`
}

// Errors an action can end in; the wrapped error says more.
var (
	ErrNotConfigured  = errors.New("no Comm100 API configured: actions need COMM100_API_BASE and credentials")
	ErrInvalid        = errors.New("invalid request")
	ErrUnknownAgent   = errors.New("unknown agent")
	ErrUnknownVisitor = errors.New("unknown visitor")
	ErrUnknownStatus  = errors.New("status not offered by the site")
	ErrUpstream       = errors.New("the Comm100 API failed")
	// ErrBudget is an action refused because the Comm100 API call budget
	// has no call free for it now (polls come first).
	ErrBudget = errors.New("no Comm100 API call free in the budget")
)

// Sink journals an event (the hub).
type Sink interface {
	Ingest(ctx context.Context, ev *event.Event, hint string) (hub.Result, error)
}

// Direct performs actions with the Comm100 API client.
type Direct struct {
	API  *comm100api.Client
	Sink Sink
	// Now stamps the outcome events; time.Now if nil.
	Now func() time.Time
}

// SetAgentStatus sets an agent's status: "online", "away" or a custom away
// status the site offers, in any case.
func (d *Direct) SetAgentStatus(ctx context.Context, agentID, status string) (Outcome, error) {
	if d == nil || d.API == nil {
		return Outcome{}, ErrNotConfigured
	}
	agentID, status = strings.TrimSpace(agentID), strings.TrimSpace(status)
	if agentID == "" || status == "" {
		return Outcome{}, fmt.Errorf("%w: an agent id and a status are required", ErrInvalid)
	}
	raw, err := d.API.Do(comm100api.WithClass(ctx, comm100api.ClassAction), http.MethodPut, "livechat/agents/"+url.PathEscape(agentID),
		map[string]string{"id": agentID, "status": status}, nil)
	if err != nil {
		return Outcome{}, classify(err, ErrUnknownAgent, "agent "+agentID, "status "+status)
	}
	ev, err := d.journal(ctx, decode.HintAgentStatus, raw)
	if err != nil {
		return Outcome{}, err
	}
	out := Outcome{Cursor: ev.Seq}
	if len(ev.Agents) > 0 {
		out.Agent = &ev.Agents[0]
	}
	return out, nil
}

// TagVisitor sets a custom variable on a visitor.
func (d *Direct) TagVisitor(ctx context.Context, visitorID, name, value string) (Outcome, error) {
	if d == nil || d.API == nil {
		return Outcome{}, ErrNotConfigured
	}
	visitorID, name = strings.TrimSpace(visitorID), strings.TrimSpace(name)
	if visitorID == "" || name == "" {
		return Outcome{}, fmt.Errorf("%w: a visitor id and a variable name are required", ErrInvalid)
	}
	raw, err := d.API.Do(comm100api.WithClass(ctx, comm100api.ClassAction), http.MethodPut, "livechat/visitors/"+url.PathEscape(visitorID),
		[]comm100api.FieldValue{{Name: name, Value: value}}, nil)
	if err != nil {
		return Outcome{}, classify(err, ErrUnknownVisitor, "visitor "+visitorID, "variable "+name)
	}
	ev, err := d.journal(ctx, decode.HintVisitor, raw)
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{Cursor: ev.Seq, Visitor: ev.Visitor}, nil
}

func (d *Direct) journal(ctx context.Context, hint string, raw []byte) (*event.Event, error) {
	norm, err := decode.Normalise(raw, "application/json")
	if err != nil {
		return nil, fmt.Errorf("%w: the change was made, but its answer is not JSON: %v", ErrUpstream, err)
	}
	ev, err := decode.Decode(decode.Input{Source: event.Comm100, Hint: hint, Body: norm, ReceivedAt: d.now()})
	if err != nil {
		return nil, fmt.Errorf("%w: the change was made, but its answer does not decode: %v", ErrUpstream, err)
	}
	res, err := d.Sink.Ingest(ctx, &ev, hint)
	if err != nil {
		return nil, fmt.Errorf("the change was made, but journalling it failed: %w", err)
	}
	ev.Seq = res.Seq
	return &ev, nil
}

// classify maps an API error onto the action errors.
func classify(err error, notFound error, what, value string) error {
	switch {
	case errors.Is(err, comm100api.ErrBudgetExhausted):
		return fmt.Errorf("%w: %w", ErrBudget, err)
	case errors.Is(err, comm100api.ErrNotFound):
		return fmt.Errorf("%w: %s: %v", notFound, what, err)
	case errors.Is(err, comm100api.ErrBadRequest) && notFound == ErrUnknownAgent:
		return fmt.Errorf("%w: %s: %v", ErrUnknownStatus, value, err)
	case errors.Is(err, comm100api.ErrBadRequest):
		return fmt.Errorf("%w: %s: %v", ErrInvalid, value, err)
	}
	return fmt.Errorf("%w: %v", ErrUpstream, err)
}

func (d *Direct) now() time.Time {
	if d.Now != nil {
		return d.Now().UTC()
	}
	return time.Now().UTC()
}
