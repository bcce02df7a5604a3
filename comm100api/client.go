// Package comm100api is a typed client for the Comm100 v4 REST API: agents'
// status, visitors, away statuses, the agent directory, departments and
// webhook registrations. Every call takes a context, has a timeout, spends
// from one shared Budget, and backs off with jitter on 429 and 503 (and
// gateway errors), honouring Retry-After up to a cap; other 4xx answers are
// not retried. It knows nothing of the rest of chatdeck.
package comm100api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// Config configures a Client.
type Config struct {
	// BaseURL is the whole API base, e.g. https://api15.comm100.io/v4.
	BaseURL string
	Auth    Auth
	// Budget is shared by everything that calls the API. Default: half the
	// documented limit.
	Budget *Budget
	// HTTPClient does the calls; a client with no timeout of its own if nil
	// (each call has Timeout).
	HTTPClient *http.Client
	// Timeout bounds one attempt of one call. Default 15 s.
	Timeout time.Duration
	// MaxRetries is how many more attempts a retryable failure gets.
	// Default 3; negative means none.
	MaxRetries int
	// MaxRetryAfter caps how long a Retry-After is honoured. Default 60 s.
	MaxRetryAfter time.Duration
	// Clock sleeps between attempts; the wall clock if nil.
	Clock  Clock
	Logger *slog.Logger
	// OnCall, if set, is told of every attempt: status 0 when no answer
	// came (err says why).
	OnCall func(method, path string, status int, err error, took time.Duration)
}

// Client calls the API. It is safe for concurrent use.
type Client struct {
	cfg  Config
	base *url.URL
}

// New returns a client.
func New(cfg Config) (*Client, error) {
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("comm100 API: base URL %q: want e.g. https://api15.comm100.io/v4", cfg.BaseURL)
	}
	if cfg.Auth == nil {
		return nil, errors.New("comm100 API: no credentials: set an access token or an email, API key and site id")
	}
	if cfg.Clock == nil {
		cfg.Clock = RealClock{}
	}
	if cfg.Budget == nil {
		cfg.Budget = DefaultBudget(cfg.Clock)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 3
	} else if cfg.MaxRetries < 0 {
		cfg.MaxRetries = 0
	}
	if cfg.MaxRetryAfter <= 0 {
		cfg.MaxRetryAfter = 60 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Client{cfg: cfg, base: base}, nil
}

// Budget returns the budget the client spends from.
func (c *Client) Budget() *Budget { return c.cfg.Budget }

// BaseURL returns the API base.
func (c *Client) BaseURL() string { return c.base.String() }

// ListAgents returns every agent's status (GET livechat/agents).
func (c *Client) ListAgents(ctx context.Context) ([]AgentStatus, error) {
	var out []AgentStatus
	_, err := c.Do(ctx, http.MethodGet, "livechat/agents", nil, &out)
	return out, err
}

// GetAgent returns one agent's status (GET livechat/agents/{id}).
func (c *Client) GetAgent(ctx context.Context, id string) (AgentStatus, error) {
	var out AgentStatus
	_, err := c.Do(ctx, http.MethodGet, "livechat/agents/"+url.PathEscape(id), nil, &out)
	return out, err
}

// SetAgentStatus sets an agent's status: "online", "away" or a custom away
// status the site has enabled, in any case (PUT livechat/agents/{id}).
func (c *Client) SetAgentStatus(ctx context.Context, id, status string) (AgentStatus, error) {
	var out AgentStatus
	_, err := c.Do(ctx, http.MethodPut, "livechat/agents/"+url.PathEscape(id), map[string]string{"id": id, "status": status}, &out)
	return out, err
}

// ListVisitors returns the visitors on the site (GET livechat/visitors).
func (c *Client) ListVisitors(ctx context.Context) ([]Visitor, error) {
	var out []Visitor
	_, err := c.Do(ctx, http.MethodGet, "livechat/visitors", nil, &out)
	return out, err
}

// GetVisitor returns one visitor (GET livechat/visitors/{id}).
func (c *Client) GetVisitor(ctx context.Context, id string) (Visitor, error) {
	var out Visitor
	_, err := c.Do(ctx, http.MethodGet, "livechat/visitors/"+url.PathEscape(id), nil, &out)
	return out, err
}

// SetVisitorVariables sets custom variables of a visitor (PUT
// livechat/visitors/{id}, body an array of name/value/url).
func (c *Client) SetVisitorVariables(ctx context.Context, id string, vars []FieldValue) (Visitor, error) {
	var out Visitor
	_, err := c.Do(ctx, http.MethodPut, "livechat/visitors/"+url.PathEscape(id), vars, &out)
	return out, err
}

// ListAwayStatuses returns the site's custom away statuses (GET
// global/agentAwayStatuses).
func (c *Client) ListAwayStatuses(ctx context.Context) ([]AwayStatus, error) {
	var out []AwayStatus
	_, err := c.Do(ctx, http.MethodGet, "global/agentAwayStatuses", nil, &out)
	return out, err
}

// ListAgentDirectory returns agents' names and emails (GET global/agents).
func (c *Client) ListAgentDirectory(ctx context.Context) ([]AgentInfo, error) {
	var out []AgentInfo
	_, err := c.Do(ctx, http.MethodGet, "global/agents", nil, &out)
	return out, err
}

// ListDepartments returns the site's departments (GET global/departments).
func (c *Client) ListDepartments(ctx context.Context) ([]Department, error) {
	var out []Department
	_, err := c.Do(ctx, http.MethodGet, "global/departments", nil, &out)
	return out, err
}

// ListWebhooks returns the webhook registrations (GET livechat/webhooks).
func (c *Client) ListWebhooks(ctx context.Context) ([]Webhook, error) {
	var out []Webhook
	_, err := c.Do(ctx, http.MethodGet, "livechat/webhooks", nil, &out)
	return out, err
}

// CreateWebhook registers targetURL for an event (POST livechat/webhooks).
func (c *Client) CreateWebhook(ctx context.Context, event, targetURL string) (Webhook, error) {
	var out Webhook
	_, err := c.Do(ctx, http.MethodPost, "livechat/webhooks", Webhook{Event: event, TargetURL: targetURL}, &out)
	return out, err
}

// MalformedError is a success answer whose body is not the JSON expected.
type MalformedError struct {
	Method, Path string
	Err          error
	Body         string // the first bytes
}

func (e *MalformedError) Error() string {
	return fmt.Sprintf("comm100 API: %s %s: malformed answer: %v (body %q)", e.Method, e.Path, e.Err, e.Body)
}

func (e *MalformedError) Unwrap() error { return e.Err }

// maxAnswer bounds how much of an answer is read.
const maxAnswer = 32 << 20

// Do calls the API: method on path (relative to the base), with body
// encoded as JSON when not nil, decoding the answer into out when not nil.
// It returns the answer's bytes as well. Retries, backoff and the budget
// apply; every attempt spends from the budget, in the class ctx is marked
// with (WithClass), and an attempt the budget refuses ends the call with
// its *BudgetError.
func (c *Client) Do(ctx context.Context, method, path string, body, out any) ([]byte, error) {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return nil, fmt.Errorf("comm100 API: %s %s: encoding body: %w", method, path, err)
		}
	}
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = time.Second
	bo.MaxInterval = 30 * time.Second
	bo.RandomizationFactor = 0.5
	refreshed := false
	for attempt := 0; ; attempt++ {
		if err := c.cfg.Budget.Wait(ctx); err != nil {
			return nil, fmt.Errorf("comm100 API: %s %s: %w", method, path, err)
		}
		raw, err := c.once(ctx, method, path, payload)
		if err == nil {
			if out != nil {
				if derr := json.Unmarshal(raw, out); derr != nil {
					return raw, &MalformedError{Method: method, Path: path, Err: derr, Body: firstBytes(raw)}
				}
			}
			return raw, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("comm100 API: %s %s: %w", method, path, ctx.Err())
		}
		var apiErr *Error
		wait := bo.NextBackOff()
		switch {
		case errors.As(err, &apiErr) && apiErr.Status == http.StatusUnauthorized && !refreshed:
			refreshed = true
			rerr := c.cfg.Auth.refresh(ctx)
			if rerr == nil {
				c.cfg.Logger.Info("comm100 API: access token refreshed after a 401")
				attempt--
				continue
			}
			// Say why the credentials cannot be renewed: the 401 alone
			// does not tell the supervisor what to fix.
			return nil, fmt.Errorf("%w (%w)", err, rerr)
		case errors.As(err, &apiErr) && apiErr.Status == http.StatusUnauthorized:
			return nil, fmt.Errorf("%w (refused again right after refreshing the access token: check the account's rights)", err)
		case errors.As(err, &apiErr) && !retryable(apiErr.Status):
			return nil, err
		case errors.As(err, &apiErr) && apiErr.RetryAfter > 0:
			// Honour Retry-After (capped), with up to 10% jitter on top so
			// that many clients do not return at once.
			wait = min(apiErr.RetryAfter, c.cfg.MaxRetryAfter)
			wait += time.Duration(float64(wait) * 0.1 * jitter(attempt))
		}
		if attempt >= c.cfg.MaxRetries {
			return nil, err
		}
		c.cfg.Logger.Debug("comm100 API: retrying", "method", method, "path", path, "attempt", attempt+1, "wait", wait, "err", err)
		if serr := c.cfg.Clock.Sleep(ctx, wait); serr != nil {
			return nil, fmt.Errorf("comm100 API: %s %s: %w (after %v)", method, path, serr, err)
		}
	}
}

// jitter is a cheap deterministic spread in [0, 1) per attempt; backoff's
// own randomisation covers the exponential case.
func jitter(attempt int) float64 { return float64((attempt*7919)%100) / 100 }

func (c *Client) once(ctx context.Context, method, path string, payload []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + "/" + path
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("comm100 API: %s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if err := c.cfg.Auth.apply(ctx, req); err != nil {
		return nil, err
	}
	start := time.Now()
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		if c.cfg.OnCall != nil {
			c.cfg.OnCall(method, path, 0, err, time.Since(start))
		}
		return nil, fmt.Errorf("comm100 API: %s %s: %w", method, path, err)
	}
	if c.cfg.OnCall != nil {
		defer func() { c.cfg.OnCall(method, path, resp.StatusCode, nil, time.Since(start)) }()
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, fmt.Errorf("comm100 API: %s %s: reading answer: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &Error{Method: method, Path: path, Status: resp.StatusCode, Body: firstBytes(raw),
			RetryAfter: retryAfter(resp.Header.Get("Retry-After"), c.cfg.Clock.Now())}
	}
	return raw, nil
}

func firstBytes(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) > MaxErrorBody {
		b = b[:MaxErrorBody]
	}
	return strings.ToValidUTF8(string(b), "�")
}

// retryAfter reads Retry-After: seconds, or an HTTP date.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if n, err := strconv.Atoi(h); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
