// Package leader runs what only one node of a cluster may do, polling
// Comm100 and spending its call budget, on the node that holds the lease
// (cluster.Lease), and routes the actions asked of any other node to that
// node over a NATS request, answering with its result.
package leader

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/chatdeck/chatdeck/ingest/actions"
	"github.com/chatdeck/chatdeck/ingest/stream"
)

// Lease is what the leader needs of cluster.Lease.
type Lease interface {
	Run(ctx context.Context, onAcquire, onLose func()) error
	Held() bool
}

// Config configures a Leader.
type Config struct {
	// Lease decides which node leads. Required.
	Lease Lease
	// Conn carries the actions forwarded to the leader. Required.
	Conn *nats.Conn
	// Subject is where the leader answers actions; default
	// "chatdeck.actions".
	Subject string
	// Work runs while this node leads, until its context ends (a poller's
	// Run); nil: nothing.
	Work func(ctx context.Context)
	// Local performs actions on this node (actions.Direct); nil: actions
	// are refused as not configured.
	Local actions.Actions
	// Timeout bounds a forwarded action; default 30 s (an action waits
	// for the budget and the Comm100 API).
	Timeout time.Duration
	// Logger; default slog.Default().
	Logger *slog.Logger
}

// Leader runs Config.Work while this node holds the lease, and is an
// actions.Actions that performs actions on the lease holder.
type Leader struct {
	cfg     Config
	log     *slog.Logger
	working atomic.Bool

	mu     sync.Mutex
	lead   context.Context // while this node leads; nil otherwise
	stop   context.CancelFunc
	done   chan struct{}
	sub    *nats.Subscription
	served sync.WaitGroup // forwarded actions being performed
}

// New returns a leader; Run makes it contend.
func New(cfg Config) (*Leader, error) {
	if cfg.Lease == nil || cfg.Conn == nil {
		return nil, errors.New("leader: a lease and a connection are required")
	}
	if cfg.Subject == "" {
		cfg.Subject = "chatdeck.actions"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Leader{cfg: cfg, log: cfg.Logger}, nil
}

// Run contends for the lease until ctx ends, running the work and serving
// forwarded actions while this node holds it, and stopping both before
// the lease can expire (cluster.Lease calls onLose in time). It returns
// ctx's error once everything it started has stopped.
func (l *Leader) Run(ctx context.Context) error {
	err := l.cfg.Lease.Run(ctx, l.acquired, l.lost)
	l.lost() // Lease.Run calls it when stopping while held; harmless twice
	return err
}

// Leading says whether this node holds the lease and its work runs.
func (l *Leader) Leading() bool { return l.working.Load() && l.cfg.Lease.Held() }

// acquired starts the work and the actions' subscription.
func (l *Leader) acquired() {
	l.mu.Lock()
	defer l.mu.Unlock()
	sub, err := l.cfg.Conn.Subscribe(l.cfg.Subject, l.serve)
	if err != nil {
		// Actions asked of other nodes find no responder and fail: the
		// work still runs here.
		l.log.Error("leader: serving forwarded actions", "subject", l.cfg.Subject, "err", err)
	}
	l.sub = sub
	ctx, cancel := context.WithCancel(context.Background())
	l.lead, l.stop, l.done = ctx, cancel, make(chan struct{})
	l.working.Store(true)
	go func() {
		defer close(l.done)
		if l.cfg.Work != nil {
			l.cfg.Work(ctx)
		}
	}()
	l.log.Info("leader: this node leads: polling and serving actions")
}

// lost stops the work and the subscription, and returns once the work and
// the actions in hand have ended.
func (l *Leader) lost() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stop == nil {
		return
	}
	l.working.Store(false)
	if l.sub != nil {
		_ = l.sub.Unsubscribe()
		l.sub = nil
	}
	l.stop()
	<-l.done
	l.served.Wait()
	l.lead, l.stop, l.done = nil, nil, nil
	l.log.Info("leader: this node no longer leads")
}

// request is an action forwarded to the leader.
type request struct {
	Type    string `json:"type"` // "set_agent_status" or "tag_visitor"
	Agent   string `json:"agent,omitempty"`
	Status  string `json:"status,omitempty"`
	Visitor string `json:"visitor,omitempty"`
	Name    string `json:"name,omitempty"`
	Value   string `json:"value,omitempty"`
	// TimeoutMS is how long the asker waits: the leader gives up then too.
	TimeoutMS int64 `json:"timeout_ms"`
}

// reply is the leader's answer.
type reply struct {
	OK           bool             `json:"ok"`
	Outcome      *actions.Outcome `json:"outcome,omitempty"`
	Error        string           `json:"error,omitempty"`
	Code         string           `json:"code,omitempty"`
	RetryAfterMS int64            `json:"retry_after_ms,omitempty"`
}

// leading returns a context that ends when ctx does or this node stops
// leading, so that no call to Comm100 outlives the lease; ok is false when
// it does not lead.
func (l *Leader) leading(ctx context.Context) (context.Context, context.CancelFunc, bool) {
	l.mu.Lock()
	lead := l.lead
	if lead != nil {
		l.served.Add(1)
	}
	l.mu.Unlock()
	if lead == nil || !l.cfg.Lease.Held() {
		if lead != nil {
			l.served.Done()
		}
		return nil, nil, false
	}
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(lead, cancel)
	return ctx, func() { stop(); cancel(); l.served.Done() }, true
}

// serve performs one forwarded action (on the subscription's goroutine:
// actions are few, and Comm100's budget paces them anyway).
func (l *Leader) serve(m *nats.Msg) {
	var req request
	var rep reply
	if err := json.Unmarshal(m.Data, &req); err != nil {
		rep = reply{Error: "forwarded action is not JSON: " + err.Error(), Code: "invalid"}
	} else {
		timeout := min(time.Duration(req.TimeoutMS)*time.Millisecond, l.cfg.Timeout)
		if timeout <= 0 {
			timeout = l.cfg.Timeout
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		if lctx, done, ok := l.leading(ctx); ok {
			out, err := l.local(lctx, req)
			done()
			rep = replyOf(out, err)
		} else {
			rep = replyOf(actions.Outcome{}, noLeader{})
		}
		cancel()
	}
	b, err := json.Marshal(rep)
	if err == nil {
		err = m.Respond(b)
	}
	if err != nil {
		l.log.Warn("leader: answering a forwarded action", "type", req.Type, "err", err)
	}
}

// local performs req on this node.
func (l *Leader) local(ctx context.Context, req request) (actions.Outcome, error) {
	if l.cfg.Local == nil {
		return actions.Outcome{}, actions.ErrNotConfigured
	}
	switch req.Type {
	case "set_agent_status":
		return l.cfg.Local.SetAgentStatus(ctx, req.Agent, req.Status)
	case "tag_visitor":
		return l.cfg.Local.TagVisitor(ctx, req.Visitor, req.Name, req.Value)
	}
	return actions.Outcome{}, fmt.Errorf("%w: unknown action %q", actions.ErrInvalid, req.Type)
}

func replyOf(out actions.Outcome, err error) reply {
	if err == nil {
		return reply{OK: true, Outcome: &out}
	}
	rep := reply{Error: err.Error(), Code: stream.ErrorCode(err)}
	var ra interface{ RetryAfter() time.Duration }
	if errors.As(err, &ra) {
		rep.RetryAfterMS = ra.RetryAfter().Milliseconds()
	}
	return rep
}

// ErrNoLeader means no node holds the lease now (it is moving): the action
// was not performed.
var ErrNoLeader = errors.New("no node holds the poller lease now (it is moving to another node): try again in a few seconds")

// SetAgentStatus sets an agent's status on the leader: here, or forwarded.
func (l *Leader) SetAgentStatus(ctx context.Context, agentID, status string) (actions.Outcome, error) {
	return l.do(ctx, request{Type: "set_agent_status", Agent: agentID, Status: status})
}

// TagVisitor tags a visitor on the leader: here, or forwarded.
func (l *Leader) TagVisitor(ctx context.Context, visitorID, name, value string) (actions.Outcome, error) {
	return l.do(ctx, request{Type: "tag_visitor", Visitor: visitorID, Name: name, Value: value})
}

func (l *Leader) do(ctx context.Context, req request) (actions.Outcome, error) {
	if lctx, done, ok := l.leading(ctx); ok {
		defer done()
		return l.local(lctx, req)
	}
	timeout := l.cfg.Timeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(dl))
	}
	req.TimeoutMS = timeout.Milliseconds()
	b, err := json.Marshal(req)
	if err != nil {
		return actions.Outcome{}, fmt.Errorf("leader: forward %s: %w", req.Type, err)
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	m, err := l.cfg.Conn.RequestWithContext(rctx, l.cfg.Subject, b)
	if err != nil {
		if errors.Is(err, nats.ErrNoResponders) {
			return actions.Outcome{}, noLeader{}
		}
		return actions.Outcome{}, fmt.Errorf("leader: forward %s to the lease holder: %w", req.Type, err)
	}
	var rep reply
	if err := json.Unmarshal(m.Data, &rep); err != nil {
		return actions.Outcome{}, fmt.Errorf("leader: the lease holder's answer to %s: %w", req.Type, err)
	}
	if !rep.OK {
		return actions.Outcome{}, &forwardedError{RemoteError: &stream.RemoteError{Code: rep.Code, Msg: rep.Error},
			retry: time.Duration(rep.RetryAfterMS) * time.Millisecond}
	}
	if rep.Outcome == nil {
		return actions.Outcome{}, nil
	}
	return *rep.Outcome, nil
}

// forwardedError is the leader's error for a forwarded action: its code
// matches the actions package's errors, and a refusal to try later keeps
// its wait.
type forwardedError struct {
	*stream.RemoteError
	retry time.Duration
}

// RetryAfter is when to try again, as the leader said.
func (e *forwardedError) RetryAfter() time.Duration { return max(e.retry, time.Second) }

// noLeader is ErrNoLeader; the listener answers it 503.
type noLeader struct{}

func (noLeader) Error() string             { return ErrNoLeader.Error() }
func (noLeader) Is(target error) bool      { return target == ErrNoLeader }
func (noLeader) RetryAfter() time.Duration { return 5 * time.Second }
