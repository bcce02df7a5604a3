package listener

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/chatdeck/chatdeck/ingest/journal"
	"github.com/chatdeck/chatdeck/ingest/wire"
)

func (l *Listener) getBoard(w http.ResponseWriter, r *http.Request) {
	l.replyJSON(w, http.StatusOK, "board", l.store.View(l.cfg.Now()))
}

// EventsPage is the answer of GET /v1/events.
type EventsPage struct {
	Events []EventRecord `json:"events"`
	Next   string        `json:"next"`
}

// EventRecord is one journalled event as the API shows it.
type EventRecord struct {
	Cursor     string    `json:"cursor"`
	ReceivedAt time.Time `json:"received_at"`
	Source     string    `json:"source"`
	Kind       string    `json:"kind"`
	Hint       string    `json:"hint,omitempty"`
	// PayloadAsString says Payload is a JSON string holding the payload's
	// text: it nests deeper than a JSON decoder takes inside the page
	// (wire.MaxDepth).
	PayloadAsString bool            `json:"payload_as_string,omitempty"`
	Payload         json.RawMessage `json:"payload"`
}

const (
	defaultPage = 100
	maxPage     = 1000
	// DefaultEventsPageBytes is the default bound on a page's encoded size.
	DefaultEventsPageBytes = 4 << 20
	// eventsPayloadDepth is how deep a payload sits in a page: in the
	// page, its array and its record.
	eventsPayloadDepth = 3
	// pageTail is room for what closes a page: `],"next":"CURSOR"}` and
	// the newline.
	pageTail = 40
)

// getEvents answers a page of the journal, encoded event by event as it
// is written: a page holds at most limit events and, beyond its first, no
// more than EventsPageBytes; next continues after the last one sent.
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
	bound := l.cfg.EventsPageBytes
	recs, more, err := l.store.Events(r.Context(), after, limit, bound)
	if err != nil {
		l.log.Error("reading journal", "err", err)
		writeError(w, http.StatusServiceUnavailable, "journal unavailable")
		return
	}
	setJSONHeaders(w)
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 64<<10)
	const head = `{"events":[`
	_, _ = bw.WriteString(head)
	size := int64(len(head) + pageTail)
	var buf bytes.Buffer
	var fixes []wire.Fix
	next := ""
	for i, rec := range recs {
		buf.Reset()
		got, err := wire.Encode(&buf, eventRecord(rec, &fixes))
		fixes = append(fixes, got...)
		if err != nil {
			// Not reachable: a record is strings, a time from the
			// journal's clock and a payload the journal holds as JSON.
			l.log.Error("encoding a journal record", "cursor", rec.Seq, "err", err)
			break
		}
		b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		if i > 0 && size+1+int64(len(b)) > bound {
			next, more = strconv.FormatInt(recs[i-1].Seq, 10), true
			break
		}
		if i > 0 {
			_ = bw.WriteByte(',')
			size++
		}
		_, _ = bw.Write(b)
		size += int64(len(b))
	}
	if more && next == "" && len(recs) > 0 {
		next = strconv.FormatInt(recs[len(recs)-1].Seq, 10)
	}
	l.cfg.Guard.Report("events", fixes)
	_, _ = bw.WriteString(`],"next":` + strconv.Quote(next) + "}\n")
	if err := bw.Flush(); err != nil {
		l.log.Debug("writing an events page", "err", err)
	}
}

// eventRecord is rec as the API shows it; a payload too deep for a page
// goes as a string, noted in fixes.
func eventRecord(rec journal.Record, fixes *[]wire.Fix) EventRecord {
	er := EventRecord{Cursor: strconv.FormatInt(rec.Seq, 10), ReceivedAt: rec.ReceivedAt.UTC(), Source: rec.Source,
		Kind: rec.Kind, Hint: rec.Hint, Payload: json.RawMessage(rec.Payload)}
	if !wire.Fits(rec.Payload, eventsPayloadDepth) {
		*fixes = append(*fixes, wire.Fix{Path: "events[" + er.Cursor + "].payload", Reason: wire.ReasonDepth,
			Detail: "nested " + strconv.Itoa(wire.Depth(rec.Payload)) + " deep"})
		er.Payload, er.PayloadAsString = wire.AsString(rec.Payload), true
	}
	return er
}

// Health is the answer of GET /healthz.
type Health struct {
	Status   string            `json:"status"`
	Problems map[string]string `json:"problems,omitempty"`
	// Cluster is this node's part in a cluster (cluster mode only).
	Cluster *ClusterHealth `json:"cluster,omitempty"`
}

// ClusterHealth is a cluster node's state in /healthz.
type ClusterHealth struct {
	// Node is this node's name.
	Node string `json:"node"`
	// Peers are the names of the servers holding the journal's stream,
	// its leader first.
	Peers []string `json:"peers"`
	// StreamOK says the journal's stream can commit (it has a leader
	// with a quorum).
	StreamOK bool `json:"stream_ok"`
	// Poller says this node holds the lease and polls Comm100.
	Poller bool `json:"poller"`
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
	var cluster *ClusterHealth
	if l.cfg.Cluster != nil {
		cluster = l.cfg.Cluster(r.Context())
	}
	switch {
	case unhealthy:
		writeJSON(w, http.StatusServiceUnavailable, Health{Status: "unhealthy", Problems: problems, Cluster: cluster})
	case len(problems) > 0:
		writeJSON(w, http.StatusOK, Health{Status: "degraded", Problems: problems, Cluster: cluster})
	default:
		writeJSON(w, http.StatusOK, Health{Status: "ok", Cluster: cluster})
	}
}
