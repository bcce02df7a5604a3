package listener

import (
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/decode"
	"github.com/chatdeck/chatdeck/ingest/event"
)

// Ack is the answer to a Comm100 or Chatlio webhook.
type Ack struct {
	OK        bool   `json:"ok"`
	Cursor    string `json:"cursor"`
	Kind      string `json:"kind"`
	Duplicate bool   `json:"duplicate,omitempty"`
}

func (l *Listener) comm100(w http.ResponseWriter, r *http.Request) {
	ev, _, ok := l.take(w, r, event.Comm100, "")
	if !ok {
		return
	}
	l.commit(w, r, ev, "", nil)
}

func (l *Listener) chatlio(w http.ResponseWriter, r *http.Request) {
	kind := r.PathValue("kind")
	if _, known := decode.ChatlioKinds[kind]; !known {
		writeError(w, http.StatusNotFound, "unknown chatlio webhook kind "+strconv.Quote(kind)+
			": use conversation-started, unanswered, feedback, offline-message or transcript")
		return
	}
	ev, _, ok := l.take(w, r, event.Chatlio, kind)
	if !ok {
		return
	}
	l.commit(w, r, ev, kind, nil)
}

// JivoReply is the answer JivoChat expects: result "ok" and, for
// chat_accepted, what chatdeck knows of the visitor, for the agent to see.
type JivoReply struct {
	Result     string      `json:"result"`
	CustomData []JivoField `json:"custom_data,omitempty"`
	Cursor     string      `json:"-"`
}

// JivoField is one line of custom_data.
type JivoField struct {
	Title   string `json:"title"`
	Content string `json:"content"`
}

func (l *Listener) jivo(w http.ResponseWriter, r *http.Request) {
	ev, _, ok := l.take(w, r, event.JivoChat, "")
	if !ok {
		return
	}
	reply := &JivoReply{Result: "ok"}
	if ev.Kind == event.ChatAccepted {
		reply.CustomData = l.visitorData(ev)
	}
	l.commit(w, r, ev, "", reply)
}

// visitorData is the custom_data for a visitor: their own earlier chats,
// last rating and last agent, and nothing about anyone else.
func (l *Listener) visitorData(ev *event.Event) []JivoField {
	var h board.History
	var found bool
	l.store.Read(func(b *board.Board) { h, found = b.VisitorHistory(ev.Source, ev.Visitor, ev.ChatID) })
	if !found {
		return []JivoField{{Title: "Earlier chats", Content: "none: first chat"}}
	}
	out := []JivoField{{Title: "Earlier chats", Content: strconv.Itoa(h.Chats)}}
	if !h.LastChatAt.IsZero() {
		out = append(out, JivoField{Title: "Last chat", Content: h.LastChatAt.UTC().Format("2006-01-02 15:04 MST")})
	}
	if h.LastRating != "" {
		out = append(out, JivoField{Title: "Last rating", Content: h.LastRating})
	}
	if h.LastAgent != "" {
		out = append(out, JivoField{Title: "Last agent", Content: h.LastAgent})
	}
	return out
}

// take reads, normalises and decodes a webhook body, answering the error
// itself when it fails.
func (l *Listener) take(w http.ResponseWriter, r *http.Request, source event.Source, hint string) (*event.Event, []byte, bool) {
	return l.takeAtMost(w, r, source, hint, l.cfg.MaxBody)
}

// takeAtMost is take with a body limit of its own.
func (l *Listener) takeAtMost(w http.ResponseWriter, r *http.Request, source event.Source, hint string, limit int64) (*event.Event, []byte, bool) {
	ct := r.Header.Get("Content-Type")
	body, berr := readBody(w, r, limit)
	if berr != nil {
		writeError(w, berr.status, berr.msg)
		return nil, nil, false
	}
	norm, err := decode.Normalise(body, ct)
	if err != nil {
		// The label is advisory (senders mislabel JSON as a form): only a
		// body that is not JSON either is refused for its type.
		if !jsonish(ct) {
			writeError(w, http.StatusUnsupportedMediaType, "content type "+strconv.Quote(ct)+" is not JSON, and neither is the body: send application/json")
			return nil, nil, false
		}
		writeError(w, http.StatusBadRequest, err.Error())
		return nil, nil, false
	}
	ev, err := decode.Decode(decode.Input{Source: source, Hint: hint, Body: norm, ReceivedAt: l.cfg.Now().UTC()})
	if err != nil {
		var de *decode.Error
		if errors.As(err, &de) {
			writeError(w, http.StatusBadRequest, err.Error())
			return nil, nil, false
		}
		if errors.Is(err, decode.ErrUnknownHint) {
			writeError(w, http.StatusNotFound, err.Error())
			return nil, nil, false
		}
		writeError(w, http.StatusBadRequest, "undecodable payload: "+err.Error())
		return nil, nil, false
	}
	return &ev, norm, true
}

// jsonish reports whether a content type may label JSON: JSON types, text,
// binary streams, or no type at all.
func jsonish(ct string) bool {
	if strings.TrimSpace(ct) == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	switch {
	case mt == "application/json", strings.HasSuffix(mt, "+json"), mt == "text/json",
		mt == "text/plain", mt == "application/octet-stream", mt == "application/javascript":
		return true
	}
	return false
}

// commit journals the event and answers: the ack, or Jivo's reply.
func (l *Listener) commit(w http.ResponseWriter, r *http.Request, ev *event.Event, hint string, jivo *JivoReply) {
	noteKind(r, string(ev.Kind))
	res, err := l.store.Ingest(r.Context(), ev, hint)
	if err != nil {
		if r.Context().Err() != nil {
			// The sender gave up; it will retry. Nothing to answer.
			writeError(w, http.StatusServiceUnavailable, "request cancelled before the event was journalled")
			return
		}
		l.log.Error("journal unavailable", "source", ev.Source, "kind", ev.Kind, "err", err)
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, "journal unavailable: the event was not stored, retry later")
		return
	}
	if l.log.Enabled(r.Context(), slog.LevelDebug) {
		l.log.Debug("webhook", "source", ev.Source, "kind", ev.Kind, "cursor", res.Seq, "duplicate", res.Duplicate)
	}
	if jivo != nil {
		l.replyJSON(w, http.StatusOK, "jivo_reply", jivo)
		return
	}
	writeJSON(w, http.StatusOK, Ack{OK: true, Cursor: strconv.FormatInt(res.Seq, 10), Kind: string(ev.Kind), Duplicate: res.Duplicate})
}
