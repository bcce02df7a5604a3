// Package comm100test is an in-process fake of the Comm100 v4 REST API
// (live-chat agents and visitors, plus the related global and webhook
// endpoints), for tests and demo mode. It serves real HTTP on a loopback
// port and behaves as the vendor's documentation says.
//
// Routes, under URL() (".../v4"):
//
//	GET  livechat/agents              [{"id","status","ongoingChats"}]
//	GET  livechat/agents/{id}         {"id","status","ongoingChats"}
//	PUT  livechat/agents/{id}         body {"status":"away"} (an "id" is optional) → {"id","status","ongoingChats"}
//	GET  livechat/visitors            [visitor]
//	GET  livechat/visitors/{id}       visitor
//	PUT  livechat/visitors/{id}       body [{"name","value","url"}] → visitor
//	GET  livechat/webhooks            [{"id","event","targetUrl"}]
//	POST livechat/webhooks            body {"event","targetUrl"} → 201 {"id","event","targetUrl"}
//	GET  livechat/webhooks/{id}       {"id","event","targetUrl"}            (extra)
//	DELETE livechat/webhooks/{id}     204                                  (extra)
//	GET  global/agentAwayStatuses     [{"id","name","isEnabled":true}]
//	GET  global/agents                [{"id","email","displayName","firstName","lastName","isActive":true}]
//	GET  global/agents/{id}           one of those                          (extra)
//	GET  global/departments           [{"id","name"}]
//	GET  global/departments/{id}      {"id","name"}                         (extra)
//
// and POST /oauth/token (TokenURL) for the refresh-token grant. Route
// segments match case-insensitively, a single trailing slash is ignored,
// agent, visitor and webhook ids compare case-insensitively. An unknown
// route answers 404, a known route with another method 405 with Allow.
//
// Every /v4 call goes through these steps, in order: it is counted (Calls,
// CallsIn, Requests); it waits for Fault.Latency; Fault.Down answers 503;
// an injected Fault.Status answers; the rate limiter answers 429 when the
// client IP already has RateLimit accepted calls in the last RateWindow;
// authentication answers 401; then the route answers. Only calls that reach
// the rate limiter and pass it occupy its window (so injected faults and
// 429s do not, but 401, 404 and 405 answers do). Fault.Malformed truncates
// the body of every 2xx answer. /oauth/token is neither counted, limited
// nor subject to faults.
//
// Error bodies are deliberately mixed, as the real API's are undocumented:
// 400, 401 and 404 are short JSON objects {"error","message"}; 405, 429,
// 503 and injected statuses other than 401 are short text/plain bodies.
package comm100test

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configures a Server. Zero values take the documented defaults.
type Options struct {
	// Now is the clock for the rate limit, token expiry and the request
	// log. Default time.Now. Fault.Latency waits in real time.
	Now func() time.Time
	// AccessToken is a bearer token accepted as-is; it never expires. If
	// AccessToken, RefreshToken and Email/APIKey are all unset, it defaults
	// to "test-token".
	AccessToken string
	// ClientID is the OAuth client id /oauth/token requires. If ClientID and
	// ClientSecret are both empty, any client is accepted.
	ClientID string
	// ClientSecret is the OAuth client secret /oauth/token requires.
	ClientSecret string
	// RefreshToken is the refresh token /oauth/token accepts at first. Each
	// refresh rotates it: the old one stops working and the new one is
	// returned (see Server.RefreshToken).
	RefreshToken string
	// TokenLifetime is the lifetime of access tokens issued by /oauth/token;
	// default 12h. Expired tokens get 401.
	TokenLifetime time.Duration
	// Email is the agent email of API-key authentication (HTTP Basic
	// Email:APIKey; the email compares case-insensitively).
	Email string
	// APIKey is the API key of API-key authentication.
	APIKey string
	// SiteID is the site id API-key calls must carry as ?siteId=. A missing
	// or wrong siteId answers 401. When SiteID is empty it is not checked.
	SiteID string
	// RateLimit is the number of calls allowed per RateWindow per client IP,
	// all /v4 endpoints together; default 300.
	RateLimit int
	// RateWindow is the sliding window of the rate limit; default 5 minutes.
	RateWindow time.Duration
	// RetryAfter is the Retry-After sent with a rate-limit 429. Default: the
	// time until the oldest call in the window leaves it. Either way it is
	// rounded up to whole seconds, at least 1.
	RetryAfter time.Duration
	// Seed is the initial data. If all its slices are nil it defaults to
	// DemoSeedAt(Now()); pass e.g. Seed{Agents: []Agent{}} for an empty site.
	Seed Seed
}

// Fault is a failure mode injected with SetFault. Fields combine.
type Fault struct {
	// Down makes every /v4 call answer 503 with the text/plain body
	// "Service Unavailable" (the connection still opens), with RetryAfter as
	// Retry-After when nonzero.
	Down bool
	// Latency makes every /v4 call wait this long (real time) first. A call
	// whose request context ends while waiting is logged with status 499 and
	// gets no answer; Close also ends the wait (answering 503).
	Latency time.Duration
	// Malformed truncates the body of every 2xx /v4 answer to invalid JSON
	// (the first half of the bytes, with a matching Content-Length).
	Malformed bool
	// Status, if nonzero, is answered by the next Count /v4 calls (or by
	// every call until ClearFault when Count <= 0); then calls are normal
	// again. 401 gets a JSON error body, others their status text; 429 and
	// 503 carry RetryAfter as Retry-After when nonzero. It must be within
	// 200..599.
	Status int
	// Count is how many calls answer Status.
	Count int
	// RetryAfter is the Retry-After of Down and of an injected 429 or 503;
	// zero sends none.
	RetryAfter time.Duration
}

// Request is one logged /v4 call.
type Request struct {
	// Method is the HTTP method.
	Method string
	// Path is the request path without the "/v4/" prefix, e.g.
	// "livechat/agents/ID".
	Path string
	// Status is the answered status; 499 when the client gave up during
	// Fault.Latency; 0 while the call is still being answered.
	Status int
	// At is when the call arrived, per Options.Now.
	At time.Time
}

// StatusClientClosed is the Request.Status logged for a call whose client
// went away while it waited for Fault.Latency.
const StatusClientClosed = 499

const (
	maxLog      = 100000
	maxBodySize = 1 << 20
)

// Server is a running fake Comm100 API. Its methods are goroutine-safe.
type Server struct {
	ts        *httptest.Server
	opts      Options
	closing   chan struct{}
	closeOnce sync.Once

	mu          sync.Mutex
	agents      []Agent
	visitors    []Visitor
	away        []string
	depts       []Department
	webhooks    []Webhook
	refresh     string
	tokens      map[string]time.Time // issued access token → expiry
	fault       Fault
	calls       int
	tokenCalls  int
	log         []Request
	logDropped  int
	windows     map[string][]time.Time // client IP → accepted call times in window
	maxInWindow int
	rateLimited int
}

// New starts a fake Comm100 API on a loopback port (127.0.0.1). Close it
// when done.
func New(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.TokenLifetime <= 0 {
		opts.TokenLifetime = 12 * time.Hour
	}
	if opts.RateLimit <= 0 {
		opts.RateLimit = 300
	}
	if opts.RateWindow <= 0 {
		opts.RateWindow = 5 * time.Minute
	}
	if opts.AccessToken == "" && opts.RefreshToken == "" && (opts.Email == "" || opts.APIKey == "") {
		opts.AccessToken = "test-token"
	}
	seed := opts.Seed
	if seed.Agents == nil && seed.Visitors == nil && seed.AwayStatuses == nil && seed.Departments == nil {
		seed = DemoSeedAt(opts.Now())
	}
	seed = cloneSeed(seed)
	opts.Seed = Seed{}

	s := &Server{
		opts:     opts,
		closing:  make(chan struct{}),
		away:     seed.AwayStatuses,
		depts:    seed.Departments,
		refresh:  opts.RefreshToken,
		tokens:   make(map[string]time.Time),
		windows:  make(map[string][]time.Time),
		webhooks: []Webhook{},
	}
	for _, a := range seed.Agents {
		s.putAgentLocked(a)
	}
	for _, v := range seed.Visitors {
		s.putVisitorLocked(v)
	}
	s.ts = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the API base, e.g. "http://127.0.0.1:PORT/v4" (no trailing slash).
func (s *Server) URL() string { return s.ts.URL + "/v4" }

// TokenURL is the OAuth token endpoint, "http://127.0.0.1:PORT/oauth/token".
func (s *Server) TokenURL() string { return s.ts.URL + "/oauth/token" }

// Client returns an HTTP client for the server (the httptest client).
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Close ends any Fault.Latency waits, then shuts the server down and waits
// for its handlers to return. It may be called more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closing)
		s.ts.Close()
	})
}

// ---- state hooks ----

// canonicalStatus maps a status in any case to its canonical spelling:
// "Online", "Away", an enabled custom away status as configured, and
// "Offline" when withOffline. Call with s.mu held.
func (s *Server) canonicalStatus(status string, withOffline bool) (string, bool) {
	switch {
	case strings.EqualFold(status, "online"):
		return "Online", true
	case strings.EqualFold(status, "away"):
		return "Away", true
	case withOffline && strings.EqualFold(status, "offline"):
		return "Offline", true
	}
	for _, name := range s.away {
		if strings.EqualFold(status, name) {
			return name, true
		}
	}
	return "", false
}

func (s *Server) agentIndex(id string) int {
	return slices.IndexFunc(s.agents, func(a Agent) bool { return strings.EqualFold(a.ID, id) })
}

func (s *Server) visitorIndex(id string) int {
	return slices.IndexFunc(s.visitors, func(v Visitor) bool { return strings.EqualFold(v.ID, id) })
}

// SetAgentStatus sets an agent's status: "online", "away", "offline" or an
// enabled custom away status, in any case; it is stored canonically
// ("Online", "Meeting"). It fails for an unknown agent or status.
func (s *Server) SetAgentStatus(id, status string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.agentIndex(id)
	if i < 0 {
		return fmt.Errorf("comm100test: no agent %q", id)
	}
	st, ok := s.canonicalStatus(status, true)
	if !ok {
		return fmt.Errorf("comm100test: unknown status %q", status)
	}
	s.agents[i].Status = st
	return nil
}

// Agent returns the agent with the id (compared case-insensitively).
func (s *Server) Agent(id string) (Agent, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := s.agentIndex(id); i >= 0 {
		return s.agents[i], true
	}
	return Agent{}, false
}

// Agents returns all agents in API order.
func (s *Server) Agents() []Agent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.agents)
}

// PutAgent adds an agent or replaces the one with its id. An empty ID gets
// a new GUID; a known status in any case is stored canonically, an unknown
// one as given, an empty one as "Offline".
func (s *Server) PutAgent(a Agent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.putAgentLocked(a)
}

func (s *Server) putAgentLocked(a Agent) {
	if a.ID == "" {
		a.ID = newGUID()
	}
	if a.Status == "" {
		a.Status = "Offline"
	} else if st, ok := s.canonicalStatus(a.Status, true); ok {
		a.Status = st
	}
	if i := s.agentIndex(a.ID); i >= 0 {
		s.agents[i] = a
		return
	}
	s.agents = append(s.agents, a)
}

// PutVisitor adds a visitor or replaces the one with its id. An empty ID
// gets a new GUID.
func (s *Server) PutVisitor(v Visitor) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.putVisitorLocked(v)
}

func (s *Server) putVisitorLocked(v Visitor) {
	v = cloneVisitor(v)
	if v.ID == "" {
		v.ID = newGUID()
	}
	if i := s.visitorIndex(v.ID); i >= 0 {
		s.visitors[i] = v
		return
	}
	s.visitors = append(s.visitors, v)
}

// RemoveVisitor removes the visitor with the id, if any.
func (s *Server) RemoveVisitor(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := s.visitorIndex(id); i >= 0 {
		s.visitors = slices.Delete(s.visitors, i, i+1)
	}
}

// Visitor returns the visitor with the id (compared case-insensitively).
func (s *Server) Visitor(id string) (Visitor, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := s.visitorIndex(id); i >= 0 {
		return cloneVisitor(s.visitors[i]), true
	}
	return Visitor{}, false
}

// Visitors returns all visitors in API order.
func (s *Server) Visitors() []Visitor {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Visitor, len(s.visitors))
	for i, v := range s.visitors {
		out[i] = cloneVisitor(v)
	}
	return out
}

// Webhooks returns the registered webhooks in creation order.
func (s *Server) Webhooks() []Webhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.webhooks)
}

// RefreshToken returns the refresh token /oauth/token currently accepts
// (empty if none was configured).
func (s *Server) RefreshToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refresh
}

// ---- faults and accounting ----

// SetFault replaces the injected fault. It panics if f.Status is nonzero
// and outside 200..599.
func (s *Server) SetFault(f Fault) {
	if f.Status != 0 && (f.Status < 200 || f.Status > 599) {
		panic(fmt.Sprintf("comm100test: Fault.Status %d outside 200..599", f.Status))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

// ClearFault removes any injected fault.
func (s *Server) ClearFault() { s.SetFault(Fault{}) }

// Calls is the total number of /v4 calls received, including rejected ones
// (401, 404, 429, injected faults); /oauth/token is not counted.
func (s *Server) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// TokenCalls is the number of requests to /oauth/token.
func (s *Server) TokenCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenCalls
}

// CallsIn is the number of /v4 calls (of any outcome) that arrived in the
// last window, per Options.Now. It looks back over the request log, which
// keeps at most the last 100000 calls.
func (s *Server) CallsIn(window time.Duration) int {
	now := s.opts.Now()
	cutoff := now.Add(-window)
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.log {
		if r.At.After(cutoff) && !r.At.After(now) {
			n++
		}
	}
	return n
}

// MaxCallsInWindow is the highest number of calls one client IP had in any
// RateWindow-long sliding window so far, counting the calls that occupy the
// rate limiter's window (not those it answered 429, nor injected faults).
// It never exceeds RateLimit.
func (s *Server) MaxCallsInWindow() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxInWindow
}

// RateLimited is how many 429s the rate limiter answered (injected 429s
// are not counted).
func (s *Server) RateLimited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rateLimited
}

// Requests returns the log of /v4 calls, oldest first (at most the last
// 100000).
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log)
}

func (s *Server) appendLog(r Request) int {
	seq := s.logDropped + len(s.log)
	s.log = append(s.log, r)
	if len(s.log) > maxLog {
		drop := len(s.log) - maxLog + maxLog/10
		s.log = slices.Clone(s.log[drop:])
		s.logDropped += drop
	}
	return seq
}

func (s *Server) setLogStatus(seq, status int) {
	if i := seq - s.logDropped; i >= 0 && i < len(s.log) {
		s.log[i].Status = status
	}
}

// admit applies the sliding-window rate limit for ip at now. It reports
// whether the call is accepted, and if not how long until a slot frees.
// Call with s.mu held.
func (s *Server) admit(ip string, now time.Time) (time.Duration, bool) {
	cutoff := now.Add(-s.opts.RateWindow)
	win := s.windows[ip][:0]
	for _, t := range s.windows[ip] {
		if t.After(cutoff) {
			win = append(win, t)
		}
	}
	if len(win) >= s.opts.RateLimit {
		s.windows[ip] = win
		if s.opts.RetryAfter > 0 {
			return s.opts.RetryAfter, false
		}
		oldest := slices.MinFunc(win, func(a, b time.Time) int { return a.Compare(b) })
		return oldest.Add(s.opts.RateWindow).Sub(now), false
	}
	win = append(win, now)
	s.windows[ip] = win
	s.maxInWindow = max(s.maxInWindow, len(win))
	return 0, true
}

// ---- HTTP ----

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	switch p := r.URL.Path; {
	case p == "/oauth/token":
		s.serveToken(w, r)
	case p == "/v4" || strings.HasPrefix(p, "/v4/"):
		s.serveAPI(w, r)
	default:
		writeText(w, http.StatusNotFound, "Not Found")
	}
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	rel := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/v4"), "/")
	rw := &statusRecorder{ResponseWriter: w}
	arrived := s.opts.Now()
	s.mu.Lock()
	s.calls++
	seq := s.appendLog(Request{Method: r.Method, Path: rel, At: arrived})
	latency := s.fault.Latency
	s.mu.Unlock()
	defer func() {
		status := rw.status
		if status == 0 {
			status = http.StatusOK
		}
		s.mu.Lock()
		s.setLogStatus(seq, status)
		s.mu.Unlock()
	}()

	if latency > 0 {
		t := time.NewTimer(latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			rw.status = StatusClientClosed
			return
		case <-s.closing:
			writeText(rw, http.StatusServiceUnavailable, "Service Unavailable")
			return
		}
	}

	now := s.opts.Now()
	s.mu.Lock()
	if s.fault.Down {
		ra := s.fault.RetryAfter
		s.mu.Unlock()
		setRetryAfter(rw, ra)
		writeText(rw, http.StatusServiceUnavailable, "Service Unavailable")
		return
	}
	if st := s.fault.Status; st != 0 {
		ra := s.fault.RetryAfter
		if s.fault.Count > 0 {
			s.fault.Count--
			if s.fault.Count == 0 {
				s.fault.Status = 0
			}
		}
		s.mu.Unlock()
		writeInjected(rw, st, ra)
		return
	}
	if wait, ok := s.admit(clientIP(r), now); !ok {
		s.rateLimited++
		limit, window := s.opts.RateLimit, s.opts.RateWindow
		s.mu.Unlock()
		setRetryAfter(rw, wait)
		writeText(rw, http.StatusTooManyRequests,
			fmt.Sprintf("Too Many Requests: more than %d calls in %v", limit, window))
		return
	}
	msg := s.authorize(r, now)
	s.mu.Unlock()
	if msg != "" {
		rw.Header().Set("WWW-Authenticate", `Bearer realm="comm100"`)
		writeError(rw, http.StatusUnauthorized, msg)
		return
	}
	s.route(rw, r, rel)
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// authorize checks the credentials of an API call; it returns "" when they
// are good, else why not. Call with s.mu held.
func (s *Server) authorize(r *http.Request, now time.Time) string {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "missing Authorization"
	}
	scheme, cred, _ := strings.Cut(h, " ")
	switch strings.ToLower(scheme) {
	case "bearer":
		tok := strings.TrimSpace(cred)
		if tok == "" {
			return "missing bearer token"
		}
		if s.opts.AccessToken != "" && tok == s.opts.AccessToken {
			return ""
		}
		if exp, ok := s.tokens[tok]; ok {
			if now.Before(exp) {
				return ""
			}
			return "access token expired"
		}
		return "invalid access token"
	case "basic":
		email, key, ok := r.BasicAuth()
		if !ok {
			return "malformed Basic credentials"
		}
		if s.opts.Email == "" || s.opts.APIKey == "" || !strings.EqualFold(email, s.opts.Email) || key != s.opts.APIKey {
			return "invalid email or API key"
		}
		if s.opts.SiteID != "" {
			switch site := r.URL.Query().Get("siteId"); {
			case site == "":
				return "missing siteId"
			case site != s.opts.SiteID:
				return "wrong siteId"
			}
		}
		return ""
	default:
		return "unsupported Authorization scheme"
	}
}

func setRetryAfter(w http.ResponseWriter, d time.Duration) {
	if d <= 0 {
		return
	}
	w.Header().Set("Retry-After", strconv.FormatInt(ceilSeconds(d), 10))
}

// ceilSeconds rounds d up to whole seconds, at least 1.
func ceilSeconds(d time.Duration) int64 {
	return max(1, int64((d+time.Second-1)/time.Second))
}

func writeInjected(w http.ResponseWriter, status int, retryAfter time.Duration) {
	switch status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="comm100"`)
		writeError(w, status, "unauthorized")
		return
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		setRetryAfter(w, retryAfter)
	}
	writeText(w, status, http.StatusText(status))
}

// writeText answers a short text/plain body, exactly msg.
func writeText(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(msg)))
	w.WriteHeader(status)
	io.WriteString(w, msg)
}

// writeError answers a short JSON error {"error": status text, "message"}.
func writeError(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(map[string]string{"error": http.StatusText(status), "message": msg})
	writeBody(w, status, b)
}

func writeBody(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// writeJSON answers v as JSON, truncated when Fault.Malformed is set and
// status is 2xx.
func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeText(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	s.mu.Lock()
	malformed := s.fault.Malformed
	s.mu.Unlock()
	if malformed && status/100 == 2 {
		b = b[:len(b)/2]
		if len(b) == 0 {
			b = []byte("{")
		}
	}
	writeBody(w, status, b)
}

// allow runs the handler for r's method, or answers 405 with Allow.
func allow(w http.ResponseWriter, r *http.Request, hs map[string]func()) {
	if h, ok := hs[r.Method]; ok {
		h()
		return
	}
	methods := make([]string, 0, len(hs))
	for m := range hs {
		methods = append(methods, m)
	}
	sort.Strings(methods)
	w.Header().Set("Allow", strings.Join(methods, ", "))
	writeText(w, http.StatusMethodNotAllowed, "Method Not Allowed")
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, rel string) {
	segs := strings.Split(strings.TrimSuffix(rel, "/"), "/")
	if len(segs) < 2 || len(segs) > 3 || (len(segs) == 3 && segs[2] == "") {
		writeError(w, http.StatusNotFound, "no such endpoint")
		return
	}
	var id string
	if len(segs) == 3 {
		id = segs[2]
	}
	get, put, post, del := http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete
	switch key := strings.ToLower(segs[0] + "/" + segs[1]); {
	case key == "livechat/agents" && id == "":
		allow(w, r, map[string]func(){get: func() { s.listAgents(w) }})
	case key == "livechat/agents":
		allow(w, r, map[string]func(){
			get: func() { s.getAgent(w, id) },
			put: func() { s.putAgent(w, r, id) },
		})
	case key == "livechat/visitors" && id == "":
		allow(w, r, map[string]func(){get: func() { s.listVisitors(w) }})
	case key == "livechat/visitors":
		allow(w, r, map[string]func(){
			get: func() { s.getVisitor(w, id) },
			put: func() { s.putVisitor(w, r, id) },
		})
	case key == "livechat/webhooks" && id == "":
		allow(w, r, map[string]func(){
			get:  func() { s.listWebhooks(w) },
			post: func() { s.postWebhook(w, r) },
		})
	case key == "livechat/webhooks":
		allow(w, r, map[string]func(){
			get: func() { s.getWebhook(w, id) },
			del: func() { s.deleteWebhook(w, id) },
		})
	case key == "global/agentawaystatuses" && id == "":
		allow(w, r, map[string]func(){get: func() { s.listAwayStatuses(w) }})
	case key == "global/agents":
		allow(w, r, map[string]func(){get: func() { s.globalAgents(w, id) }})
	case key == "global/departments":
		allow(w, r, map[string]func(){get: func() { s.departments(w, id) }})
	default:
		writeError(w, http.StatusNotFound, "no such endpoint")
	}
}

// readJSON decodes r's body into v; on failure it answers 400 and reports
// false.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodySize))
	if err != nil {
		writeError(w, http.StatusBadRequest, "cannot read body: "+err.Error())
		return false
	}
	if err := json.Unmarshal(b, v); err != nil {
		writeError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		return false
	}
	return true
}

// agentStatus is the livechat/agents object.
type agentStatus struct {
	ID           string `json:"id"`
	Status       string `json:"status"`
	OngoingChats int    `json:"ongoingChats"`
}

func liveAgent(a Agent) agentStatus {
	return agentStatus{ID: a.ID, Status: a.Status, OngoingChats: a.OngoingChats}
}

func (s *Server) listAgents(w http.ResponseWriter) {
	s.mu.Lock()
	out := make([]agentStatus, len(s.agents))
	for i, a := range s.agents {
		out[i] = liveAgent(a)
	}
	s.mu.Unlock()
	s.writeJSON(w, http.StatusOK, out)
}

func (s *Server) getAgent(w http.ResponseWriter, id string) {
	a, ok := s.Agent(id)
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("agent %q not found", id))
		return
	}
	s.writeJSON(w, http.StatusOK, liveAgent(a))
}

func (s *Server) putAgent(w http.ResponseWriter, r *http.Request, id string) {
	if _, ok := s.Agent(id); !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("agent %q not found", id))
		return
	}
	var body struct {
		ID     *string `json:"id"`
		Status *string `json:"status"`
	}
	if !readJSON(w, r, &body) {
		return
	}
	if body.Status == nil {
		writeError(w, http.StatusBadRequest, "status is required")
		return
	}
	if body.ID != nil && *body.ID != "" && !strings.EqualFold(*body.ID, id) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("id %q in body does not match %q in path", *body.ID, id))
		return
	}
	s.mu.Lock()
	st, ok := s.canonicalStatus(*body.Status, false)
	if !ok {
		allowed := append([]string{`"online"`, `"away"`}, quoteAll(s.away)...)
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, fmt.Sprintf("invalid status %q: allowed values are %s",
			*body.Status, strings.Join(allowed, ", ")))
		return
	}
	i := s.agentIndex(id)
	if i < 0 { // removed meanwhile
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, fmt.Sprintf("agent %q not found", id))
		return
	}
	s.agents[i].Status = st
	out := liveAgent(s.agents[i])
	s.mu.Unlock()
	s.writeJSON(w, http.StatusOK, out)
}

func quoteAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strconv.Quote(n)
	}
	return out
}

func (s *Server) listVisitors(w http.ResponseWriter) {
	s.writeJSON(w, http.StatusOK, s.Visitors())
}

func (s *Server) getVisitor(w http.ResponseWriter, id string) {
	v, ok := s.Visitor(id)
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("visitor %q not found", id))
		return
	}
	s.writeJSON(w, http.StatusOK, v)
}

func (s *Server) putVisitor(w http.ResponseWriter, r *http.Request, id string) {
	if _, ok := s.Visitor(id); !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("visitor %q not found", id))
		return
	}
	var raw json.RawMessage
	if !readJSON(w, r, &raw) {
		return
	}
	var vars []FieldValue
	if !strings.HasPrefix(strings.TrimSpace(string(raw)), "[") || json.Unmarshal(raw, &vars) != nil {
		writeError(w, http.StatusBadRequest, `body must be a JSON array of {"name","value","url"}`)
		return
	}
	for _, fv := range vars {
		if fv.Name == "" {
			writeError(w, http.StatusBadRequest, "custom variable name is required")
			return
		}
	}
	s.mu.Lock()
	i := s.visitorIndex(id)
	if i < 0 {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, fmt.Sprintf("visitor %q not found", id))
		return
	}
	v := &s.visitors[i]
	for _, fv := range vars {
		if j := slices.IndexFunc(v.CustomVariableResults, func(c FieldValue) bool { return c.Name == fv.Name }); j >= 0 {
			v.CustomVariableResults[j] = fv
		} else {
			v.CustomVariableResults = append(v.CustomVariableResults, fv)
		}
	}
	out := cloneVisitor(*v)
	s.mu.Unlock()
	s.writeJSON(w, http.StatusOK, out)
}

func (s *Server) listWebhooks(w http.ResponseWriter) {
	s.writeJSON(w, http.StatusOK, s.Webhooks())
}

func (s *Server) webhookIndex(id string) int {
	return slices.IndexFunc(s.webhooks, func(h Webhook) bool { return strings.EqualFold(h.ID, id) })
}

func (s *Server) getWebhook(w http.ResponseWriter, id string) {
	s.mu.Lock()
	i := s.webhookIndex(id)
	var h Webhook
	if i >= 0 {
		h = s.webhooks[i]
	}
	s.mu.Unlock()
	if i < 0 {
		writeError(w, http.StatusNotFound, fmt.Sprintf("webhook %q not found", id))
		return
	}
	s.writeJSON(w, http.StatusOK, h)
}

func (s *Server) deleteWebhook(w http.ResponseWriter, id string) {
	s.mu.Lock()
	i := s.webhookIndex(id)
	if i >= 0 {
		s.webhooks = slices.Delete(s.webhooks, i, i+1)
	}
	s.mu.Unlock()
	if i < 0 {
		writeError(w, http.StatusNotFound, fmt.Sprintf("webhook %q not found", id))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) postWebhook(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Event     string `json:"event"`
		TargetURL string `json:"targetUrl"`
	}
	if !readJSON(w, r, &body) {
		return
	}
	if body.Event == "" {
		writeError(w, http.StatusBadRequest, "event is required")
		return
	}
	if u, err := url.Parse(body.TargetURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("targetUrl %q is not an absolute http(s) URL", body.TargetURL))
		return
	}
	h := Webhook{ID: newGUID(), Event: body.Event, TargetURL: body.TargetURL}
	s.mu.Lock()
	s.webhooks = append(s.webhooks, h)
	s.mu.Unlock()
	w.Header().Set("Location", "/v4/livechat/webhooks/"+h.ID)
	s.writeJSON(w, http.StatusCreated, h)
}

// awayStatus is the global/agentAwayStatuses object.
type awayStatus struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	IsEnabled bool   `json:"isEnabled"`
}

func (s *Server) listAwayStatuses(w http.ResponseWriter) {
	s.mu.Lock()
	out := make([]awayStatus, len(s.away))
	for i, name := range s.away {
		out[i] = awayStatus{ID: nameGUID("away/" + name), Name: name, IsEnabled: true}
	}
	s.mu.Unlock()
	s.writeJSON(w, http.StatusOK, out)
}

// directoryAgent is the global/agents object.
type directoryAgent struct {
	ID          string `json:"id"`
	Email       string `json:"email"`
	DisplayName string `json:"displayName"`
	FirstName   string `json:"firstName"`
	LastName    string `json:"lastName"`
	IsActive    bool   `json:"isActive"`
}

func dirAgent(a Agent) directoryAgent {
	return directoryAgent{ID: a.ID, Email: a.Email, DisplayName: a.DisplayName,
		FirstName: a.FirstName, LastName: a.LastName, IsActive: true}
}

func (s *Server) globalAgents(w http.ResponseWriter, id string) {
	if id != "" {
		a, ok := s.Agent(id)
		if !ok {
			writeError(w, http.StatusNotFound, fmt.Sprintf("agent %q not found", id))
			return
		}
		s.writeJSON(w, http.StatusOK, dirAgent(a))
		return
	}
	s.mu.Lock()
	out := make([]directoryAgent, len(s.agents))
	for i, a := range s.agents {
		out[i] = dirAgent(a)
	}
	s.mu.Unlock()
	s.writeJSON(w, http.StatusOK, out)
}

func (s *Server) departments(w http.ResponseWriter, id string) {
	s.mu.Lock()
	out := slices.Clone(s.depts)
	s.mu.Unlock()
	if out == nil {
		out = []Department{}
	}
	if id == "" {
		s.writeJSON(w, http.StatusOK, out)
		return
	}
	i := slices.IndexFunc(out, func(d Department) bool { return strings.EqualFold(d.ID, id) })
	if i < 0 {
		writeError(w, http.StatusNotFound, fmt.Sprintf("department %q not found", id))
		return
	}
	s.writeJSON(w, http.StatusOK, out[i])
}

// ---- OAuth ----

// tokenResponse is the /oauth/token success body.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="comm100"`)
	}
	b, _ := json.Marshal(map[string]string{"error": code, "error_description": desc})
	w.Header().Set("Cache-Control", "no-store")
	writeBody(w, status, b)
}

// serveToken implements POST /oauth/token for grant_type=refresh_token.
// Client credentials may come as form fields or as HTTP Basic (RFC 6749
// §2.3.1); they are checked before the refresh token, so a request with a
// wrong client does not consume the refresh token.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.tokenCalls++
	s.mu.Unlock()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeText(w, http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBodySize)
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "cannot parse form")
		return
	}
	clientID, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		clientID, secret = formUnescape(u), formUnescape(p)
	}
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if (s.opts.ClientID != "" || s.opts.ClientSecret != "") &&
		(clientID != s.opts.ClientID || secret != s.opts.ClientSecret) {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "unknown client or wrong secret")
		return
	}
	if g := r.PostForm.Get("grant_type"); g != "refresh_token" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", fmt.Sprintf("grant_type %q is not supported", g))
		return
	}
	rt := r.PostForm.Get("refresh_token")
	if rt == "" || s.refresh == "" || rt != s.refresh {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "refresh token is invalid, expired or already used")
		return
	}
	for tok, exp := range s.tokens {
		if !now.Before(exp) {
			delete(s.tokens, tok)
		}
	}
	access := "at-" + rand.Text()
	s.refresh = "rt-" + rand.Text()
	s.tokens[access] = now.Add(s.opts.TokenLifetime)
	b, _ := json.Marshal(tokenResponse{
		AccessToken:  access,
		TokenType:    "bearer",
		ExpiresIn:    int64(s.opts.TokenLifetime / time.Second),
		RefreshToken: s.refresh,
	})
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeBody(w, http.StatusOK, b)
}

func formUnescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// ---- ids ----

func formatGUID(b []byte) string {
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// newGUID returns a random lower-case GUID.
func newGUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return formatGUID(b)
}

// nameGUID returns a GUID derived from name, the same on every call.
func nameGUID(name string) string {
	sum := sha1.Sum([]byte("comm100test/" + name))
	return formatGUID(sum[:16])
}
