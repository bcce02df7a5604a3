package listener

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

func (l *Listener) getBoard(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, l.store.View(l.cfg.Now()))
}

// EventsPage is the answer of GET /v1/events.
type EventsPage struct {
	Events []EventRecord `json:"events"`
	Next   string        `json:"next"`
}

// EventRecord is one journalled event as the API shows it.
type EventRecord struct {
	Cursor     string          `json:"cursor"`
	ReceivedAt time.Time       `json:"received_at"`
	Source     string          `json:"source"`
	Kind       string          `json:"kind"`
	Hint       string          `json:"hint,omitempty"`
	Payload    json.RawMessage `json:"payload"`
}

const (
	defaultPage = 100
	maxPage     = 1000
)

func (l *Listener) getEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var after int64
	if s := q.Get("after"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, "after: not a cursor: "+strconv.Quote(s))
			return
		}
		after = n
	}
	limit := defaultPage
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxPage {
			writeError(w, http.StatusBadRequest, "limit: want a number from 1 to "+strconv.Itoa(maxPage)+", got "+strconv.Quote(s))
			return
		}
		limit = n
	}
	recs, err := l.store.Events(r.Context(), after, limit+1)
	if err != nil {
		l.log.Error("reading journal", "err", err)
		writeError(w, http.StatusServiceUnavailable, "journal unavailable")
		return
	}
	page := EventsPage{Events: make([]EventRecord, 0, min(len(recs), limit))}
	for i, rec := range recs {
		if i == limit {
			page.Next = page.Events[limit-1].Cursor
			break
		}
		page.Events = append(page.Events, EventRecord{
			Cursor: strconv.FormatInt(rec.Seq, 10), ReceivedAt: rec.ReceivedAt.UTC(), Source: rec.Source,
			Kind: rec.Kind, Hint: rec.Hint, Payload: json.RawMessage(rec.Payload),
		})
	}
	writeJSON(w, http.StatusOK, page)
}

// Health is the answer of GET /healthz.
type Health struct {
	Status   string            `json:"status"`
	Problems map[string]string `json:"problems,omitempty"`
}

// healthz answers 200 "ok", 200 "degraded" (a poller failing: the board
// works on webhooks; the Comm100 call budget exhausted) or 503 "unhealthy" (the journal cannot store), naming
// each problem.
func (l *Listener) healthz(w http.ResponseWriter, r *http.Request) {
	problems, unhealthy := l.store.Health(r.Context())
	if l.cfg.Degraded != nil {
		if problems == nil {
			problems = map[string]string{}
		}
		for part, p := range l.cfg.Degraded() {
			problems[part] = p
		}
	}
	switch {
	case unhealthy:
		writeJSON(w, http.StatusServiceUnavailable, Health{Status: "unhealthy", Problems: problems})
	case len(problems) > 0:
		writeJSON(w, http.StatusOK, Health{Status: "degraded", Problems: problems})
	default:
		writeJSON(w, http.StatusOK, Health{Status: "ok"})
	}
}
