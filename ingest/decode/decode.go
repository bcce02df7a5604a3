// Package decode turns vendor payloads (Comm100, Chatlio and JivoChat webhooks,
// Comm100 API answers) into normalised events. It is tolerant of every quirk
// the vendors are known for (see ../../docs and the spec's VENDOR-NOTES.md):
// ids as strings or numbers, /Date()/ in all its forms, absent or null keys,
// alternate key spellings, escaped slashes, byte-order marks, UTF-16 and
// Latin-1 bodies. A webhook that is a JSON object always decodes: one no
// decoder knows becomes an Unrecognised event, and what a known one lacks or
// has in an impossible form is dropped and named in the event's Notes.
package decode

import (
	"errors"
	"fmt"
	"time"

	"github.com/chatdeck/chatdeck/ingest/event"
)

// Input is one payload to decode.
type Input struct {
	Source event.Source
	// Hint is what the route said about the payload: the Chatlio webhook kind
	// ("transcript", ...) or, for polled data, the snapshot kind. Empty for
	// Comm100 and Jivo webhooks, which name their event in the payload.
	Hint string
	// Body is a UTF-8 JSON object, as returned by Normalise.
	Body       []byte
	ReceivedAt time.Time
}

// Error is a payload that is JSON but cannot be what it claims to be. Field
// names the offending key as a dotted path ("visitor.id").
type Error struct {
	Field string
	Msg   string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// ErrUnknownHint is returned for a route hint the decoder does not know.
var ErrUnknownHint = errors.New("unknown payload kind")

// Decode decodes one payload into an event. The event's Raw is in.Body.
//
// A webhook that is a JSON object is never refused: what cannot be read
// (a field of the wrong type, a time that cannot be real, a missing id) is
// left out and said in the event's Notes, and an object no decoder knows is
// Unrecognised. The error is for what is not a JSON object, a route hint
// the decoder does not know, and a polled answer with a field of the wrong
// type (a *Error naming it): a poll applied in part would take agents or
// visitors off the board that are there.
func Decode(in Input) (event.Event, error) {
	root, err := parseObject(in.Body)
	if err != nil {
		return event.Event{}, err
	}
	c := &collector{now: in.ReceivedAt}
	var ev event.Event
	polled := false
	switch in.Source {
	case event.Comm100:
		switch in.Hint {
		case "":
			ev = decodeComm100(c, root)
		case HintAgents:
			ev, polled = decodeAgentsSnapshot(c, root), true
		case HintVisitors:
			ev, polled = decodeVisitorsSnapshot(c, root), true
		case HintAgentStatus:
			ev, polled = decodeAgentStatus(c, root), true
		case HintVisitor:
			ev, polled = decodeAPIVisitor(c, root), true
		default:
			return event.Event{}, fmt.Errorf("comm100 %q: %w", in.Hint, ErrUnknownHint)
		}
	case event.Chatlio:
		kind, ok := ChatlioKinds[in.Hint]
		if !ok {
			return event.Event{}, fmt.Errorf("chatlio %q: %w", in.Hint, ErrUnknownHint)
		}
		ev = decodeChatlio(c, kind, in.Hint, root)
	case event.JivoChat:
		if in.Hint == HintBrowser { // strict, like a poll: browser data can be forged
			ev, polled = decodeJivoBrowser(c, root), true
			break
		}
		ev = decodeJivo(c, root)
	default:
		return event.Event{}, fmt.Errorf("source %q: %w", in.Source, ErrUnknownHint)
	}
	if polled && c.err != nil {
		return event.Event{}, c.err
	}
	ev.Source = in.Source
	ev.ReceivedAt = in.ReceivedAt
	ev.Raw = in.Body
	ev.Notes = c.notes
	if ev.Visitor != nil {
		ev.VisitorKnows = ev.Visitor.Known()
	}
	ev.MessagesTimed = len(ev.Messages) > 0
	for i := range ev.Messages {
		if ev.Messages[i].At.IsZero() && ev.Messages[i].Clock == "" {
			ev.MessagesTimed = false
			break
		}
	}
	return ev, nil
}
