// Package decode turns vendor payloads (Comm100, Chatlio and JivoChat webhooks,
// Comm100 API answers) into normalised events. It is tolerant of every quirk
// the vendors are known for (see ../../docs and the spec's VENDOR-NOTES.md):
// ids as strings or numbers, /Date()/ in all its forms, absent or null keys,
// alternate key spellings, escaped slashes, byte-order marks, UTF-16 and
// Latin-1 bodies. A valid JSON object that no decoder knows becomes an
// Unrecognised event; a known event whose fields have impossible types is an
// *Error naming the field.
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
func Decode(in Input) (event.Event, error) {
	root, err := parseObject(in.Body)
	if err != nil {
		return event.Event{}, err
	}
	var ev event.Event
	switch in.Source {
	case event.Comm100:
		switch in.Hint {
		case "":
			ev, err = decodeComm100(root)
		case HintAgents:
			ev, err = decodeAgentsSnapshot(root)
		case HintVisitors:
			ev, err = decodeVisitorsSnapshot(root)
		case HintAgentStatus:
			ev, err = decodeAgentStatus(root)
		case HintVisitor:
			ev, err = decodeAPIVisitor(root)
		default:
			return event.Event{}, fmt.Errorf("comm100 %q: %w", in.Hint, ErrUnknownHint)
		}
	case event.Chatlio:
		ev, err = decodeChatlio(in.Hint, root)
	case event.JivoChat:
		ev, err = decodeJivo(root)
	default:
		return event.Event{}, fmt.Errorf("source %q: %w", in.Source, ErrUnknownHint)
	}
	if err != nil {
		return event.Event{}, err
	}
	ev.Source = in.Source
	ev.ReceivedAt = in.ReceivedAt
	ev.Raw = in.Body
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
