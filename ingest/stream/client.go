package stream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatdeck/chatdeck/ingest/actions"
	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/event"
	"github.com/chatdeck/chatdeck/ingest/hub"
)

// Conn is the state of a client's connection, for the dashboard.
type Conn struct {
	Connected bool
	Server    string
	// Since is when the connection came up, or went down.
	Since time.Time
	// Err is why the last connection ended; Attempt counts the retries
	// since.
	Err     string
	Attempt int
	// Synced is true once a snapshot or catch-up has arrived.
	Synced bool
}

// Client keeps a replica of a server's board over /v1/stream: a snapshot,
// then every event, reconnecting with backoff and resuming from its cursor
// so that nothing is missed and nothing applied twice. It is a tui.Source
// and an actions.Actions (actions are performed by the server).
type Client struct {
	// URL is the server's base, http(s):// or ws(s)://.
	URL   string
	Token string
	// MaxBackoff caps the wait between reconnects. Default 30 s.
	MaxBackoff time.Duration
	Logger     *slog.Logger
	// Dialer dials; websocket.DefaultDialer if nil.
	Dialer *websocket.Dialer
	// ReadLimit is the most the client reads in one message; the server
	// is told (max_message) and sends bigger messages in parts. Default
	// DefaultMaxMessage.
	ReadLimit int64

	mu      sync.RWMutex
	empty   *board.Board // what Read shows before the first snapshot
	board   *board.Board
	polls   map[event.Source]board.PollState
	changed chan struct{}
	conn    Conn

	out     chan []byte // requests to the server, for the connection's writer
	pending sync.Map    // request id → chan hub.Message
	nextID  atomic.Int64
}

// NewClient returns a client for the server at base.
func NewClient(base, token string, log *slog.Logger) *Client {
	if log == nil {
		log = slog.Default()
	}
	return &Client{URL: base, Token: token, Logger: log, changed: make(chan struct{}), polls: map[event.Source]board.PollState{},
		out: make(chan []byte, 16), empty: board.New(board.Config{})}
}

// streamURL is the ws(s) URL of /v1/stream, resuming after cursor (≥ 0).
func (c *Client) streamURL(cursor int64) (string, error) {
	u, err := url.Parse(strings.TrimRight(c.URL, "/"))
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("stream: server URL %q: want http://host:port", c.URL)
	}
	switch u.Scheme {
	case "http", "ws", "":
		u.Scheme = "ws"
	case "https", "wss":
		u.Scheme = "wss"
	default:
		return "", fmt.Errorf("stream: server URL %q: unknown scheme", c.URL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/v1/stream") + "/v1/stream"
	q := url.Values{"max_message": {strconv.FormatInt(c.readLimit(), 10)}}
	if cursor >= 0 {
		q.Set("after", strconv.FormatInt(cursor, 10))
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Run keeps the replica until ctx ends, reconnecting with exponential
// backoff and jitter. It returns ctx's error, or an error that retrying
// cannot fix (a wrong token).
func (c *Client) Run(ctx context.Context) error {
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 30 * time.Second
	}
	attempt := 0
	for {
		synced, err := c.session(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if synced {
			attempt = 0
		}
		attempt++
		var fatal *fatalError
		if errors.As(err, &fatal) {
			c.setConn(func(cn *Conn) { cn.Connected, cn.Err, cn.Attempt, cn.Since = false, err.Error(), attempt, time.Now() })
			return err
		}
		wait := min(time.Second<<min(attempt-1, 10), c.MaxBackoff)
		wait = wait/2 + time.Duration(rand.Int64N(int64(wait/2)+1))
		c.setConn(func(cn *Conn) {
			if cn.Connected || cn.Since.IsZero() {
				cn.Since = time.Now()
			}
			cn.Connected, cn.Err, cn.Attempt = false, err.Error(), attempt
		})
		c.Logger.Warn("stream: disconnected", "err", err, "retry_in", wait.Round(time.Millisecond), "attempt", attempt)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

type fatalError struct{ error }

// IsFatal reports whether err, from Run, is one that retrying cannot fix
// (a refused token, a malformed URL).
func IsFatal(err error) bool {
	var f *fatalError
	return errors.As(err, &f)
}

// refusal is what a refusing server said: its JSON error, or the status.
func refusal(resp *http.Response) string {
	var body struct {
		Error string `json:"error"`
	}
	if resp.Body != nil {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		if json.Unmarshal(b, &body) == nil && body.Error != "" {
			return body.Error
		}
	}
	return http.StatusText(resp.StatusCode)
}

// ServerURL reads a server address as attach takes it: a URL (http, https,
// ws, wss), or host:port, which means http://host:port.
func ServerURL(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return "", fmt.Errorf("server address %q: want http(s)://host:port or host:port", s)
	}
	switch u.Scheme {
	case "http", "https", "ws", "wss":
	default:
		return "", fmt.Errorf("server address %q: unknown scheme %q (want http or https)", s, u.Scheme)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("server address %q: no query or fragment (the token goes in --token)", s)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

func (c *Client) readLimit() int64 {
	if c.ReadLimit <= 0 {
		return DefaultMaxMessage
	}
	return max(c.ReadLimit, MinMaxMessage)
}

// session runs one connection; synced reports whether it got going.
func (c *Client) session(ctx context.Context) (synced bool, err error) {
	cursor := int64(-1)
	c.mu.RLock()
	if c.board != nil {
		cursor = c.board.Cursor()
	}
	c.mu.RUnlock()
	u, err := c.streamURL(cursor)
	if err != nil {
		return false, &fatalError{err}
	}
	d := c.Dialer
	if d == nil {
		d = websocket.DefaultDialer
	}
	hdr := http.Header{"Authorization": {"Bearer " + c.Token}}
	conn, resp, err := d.DialContext(ctx, u, hdr)
	if err != nil {
		if resp != nil && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden) {
			return false, &fatalError{fmt.Errorf("the server refused the connection (%d): %s", resp.StatusCode, refusal(resp))}
		}
		return false, fmt.Errorf("connecting to %s: %w", c.URL, err)
	}
	defer conn.Close()
	conn.SetReadLimit(c.readLimit())
	c.setConn(func(cn *Conn) {
		*cn = Conn{Connected: true, Server: c.URL, Since: time.Now(), Synced: cursor >= 0}
	})
	if cursor >= 0 {
		synced = true
	}
	sessCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	writeDone := make(chan struct{})
	go func() {
		defer close(writeDone)
		for {
			select {
			case msg := <-c.out:
				_ = conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
				if conn.WriteMessage(websocket.TextMessage, msg) != nil {
					_ = conn.Close()
					return
				}
			case <-sessCtx.Done():
				_ = conn.WriteControl(websocket.CloseMessage,
					websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"), time.Now().Add(time.Second))
				_ = conn.Close()
				return
			}
		}
	}()
	defer func() { cancel(); <-writeDone }()
	var parts joiner
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) && ce.Text != "" {
				return synced, fmt.Errorf("server closed the stream: %s", ce.Text)
			}
			return synced, fmt.Errorf("reading the stream: %w", err)
		}
		var m hub.Message
		if err := json.Unmarshal(data, &m); err != nil {
			return synced, fmt.Errorf("stream: bad message: %w", err)
		}
		if m.Type == "part" {
			whole, done, err := parts.add(&m)
			if err != nil {
				return synced, err
			}
			if !done {
				continue
			}
			m = hub.Message{}
			if err := json.Unmarshal(whole, &m); err != nil {
				return synced, fmt.Errorf("stream: bad message (%d bytes, in parts): %w", len(whole), err)
			}
			if m.Type == "part" {
				return synced, errNestedParts
			}
		}
		if err := c.handle(&m); err != nil {
			return synced, err
		}
		if m.Type == "snapshot" {
			synced = true
			c.setConn(func(cn *Conn) { cn.Synced = true })
		}
	}
}

func (c *Client) handle(m *hub.Message) error {
	switch m.Type {
	case "snapshot":
		if m.State == nil || m.Config == nil {
			return errors.New("stream: snapshot without state")
		}
		b, err := board.Restore(m.Config.ToBoardConfig(), *m.State)
		if err != nil {
			return fmt.Errorf("stream: restoring the snapshot: %w", err)
		}
		c.mu.Lock()
		c.board, c.polls = b, orEmpty(m.Polls)
		c.notifyLocked()
		c.mu.Unlock()
	case "event":
		if m.Event == nil {
			return nil
		}
		c.mu.Lock()
		if c.board != nil && m.Event.Seq > c.board.Cursor() {
			c.board.Apply(m.Event)
			c.notifyLocked()
		}
		c.mu.Unlock()
	case "polls":
		c.mu.Lock()
		c.polls = orEmpty(m.Polls)
		c.notifyLocked()
		c.mu.Unlock()
	case "action_result":
		if ch, ok := c.pending.LoadAndDelete(m.ID); ok {
			ch.(chan hub.Message) <- *m
		}
	}
	return nil
}

func orEmpty(p map[event.Source]board.PollState) map[event.Source]board.PollState {
	if p == nil {
		return map[event.Source]board.PollState{}
	}
	return p
}

func (c *Client) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

func (c *Client) setConn(fn func(*Conn)) {
	c.mu.Lock()
	fn(&c.conn)
	c.notifyLocked()
	c.mu.Unlock()
}

// Read calls fn with the replica (an empty board before the first snapshot).
func (c *Client) Read(fn func(b *board.Board)) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.board == nil {
		fn(c.empty)
		return
	}
	fn(c.board)
}

// Polls returns the server's pollers' freshness.
func (c *Client) Polls() map[event.Source]board.PollState {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make(map[event.Source]board.PollState, len(c.polls))
	for k, v := range c.polls {
		out[k] = v
	}
	return out
}

// Changed is closed at the next change of the replica or the connection.
func (c *Client) Changed() <-chan struct{} {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.changed
}

// Connection returns the connection's state.
func (c *Client) Connection() Conn {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.conn
}

// Cursor is the replica's cursor (-1 before the first snapshot).
func (c *Client) Cursor() int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.board == nil {
		return -1
	}
	return c.board.Cursor()
}

// SetAgentStatus asks the server to set an agent's status.
func (c *Client) SetAgentStatus(ctx context.Context, agentID, status string) (actions.Outcome, error) {
	return c.request(ctx, Request{Type: "set_agent_status", Agent: agentID, Status: status})
}

// TagVisitor asks the server to tag a visitor.
func (c *Client) TagVisitor(ctx context.Context, visitorID, name, value string) (actions.Outcome, error) {
	return c.request(ctx, Request{Type: "tag_visitor", Visitor: visitorID, Name: name, Value: value})
}

func (c *Client) request(ctx context.Context, req Request) (actions.Outcome, error) {
	if !c.Connection().Connected {
		return actions.Outcome{}, errors.New("not connected to the server: try again once it is back")
	}
	req.ID = strconv.FormatInt(c.nextID.Add(1), 10)
	ch := make(chan hub.Message, 1)
	c.pending.Store(req.ID, ch)
	defer c.pending.Delete(req.ID)
	b, err := json.Marshal(req)
	if err != nil {
		return actions.Outcome{}, fmt.Errorf("stream: %w", err)
	}
	select {
	case c.out <- b:
	case <-ctx.Done():
		return actions.Outcome{}, ctx.Err()
	}
	select {
	case m := <-ch:
		if !m.OK {
			return actions.Outcome{}, &RemoteError{Code: m.Code, Msg: m.Error}
		}
		cur, _ := strconv.ParseInt(m.Cursor, 10, 64)
		return actions.Outcome{Cursor: cur, Agent: m.Agent, Visitor: m.Visitor}, nil
	case <-ctx.Done():
		return actions.Outcome{}, fmt.Errorf("no answer from the server: %w", ctx.Err())
	}
}

// RemoteError is an action the server refused or failed; errors.Is matches
// it against the actions package's errors by its code.
type RemoteError struct {
	Code string
	Msg  string
}

func (e *RemoteError) Error() string { return e.Msg }

// Unwrap returns the action error of the code, if any.
func (e *RemoteError) Unwrap() error { return codeErrors[e.Code] }
