package hub

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/fixtures/traffic"
	"github.com/chatdeck/chatdeck/ingest/event"
	"github.com/chatdeck/chatdeck/ingest/wire"
)

// TestEncodeEventIsTheMessage: EncodeEvent's message is, as JSON, the
// message encoding/json makes of the event, for every spec payload and for
// payloads with white space and characters encoding/json escapes.
func TestEncodeEventIsTheMessage(t *testing.T) {
	var evs []event.Event
	hooks, err := traffic.SpecWebhooks()
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range hooks {
		w.At = time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
		ev, err := traffic.Decode(w)
		if err != nil {
			t.Fatal(err)
		}
		ev.Seq = int64(i + 1)
		evs = append(evs, ev)
	}
	evs = append(evs,
		event.Event{Seq: 90, Source: event.Comm100, Kind: event.Unrecognised, ReceivedAt: time.Now(),
			Raw: json.RawMessage("{\n  \"a\" : \"<b>&amp;</b>\",\n\t\"u\": \"\u2028\" }")},
		event.Event{Seq: 91, Source: event.Chatlio, Kind: event.ChatEnded, ReceivedAt: time.Now()})
	for _, ev := range evs {
		got, fixes, err := EncodeEvent(&ev)
		if err != nil || len(fixes) != 0 {
			t.Fatal(err, fixes)
		}
		want, err := json.Marshal(Message{Type: "event", Cursor: strconv.FormatInt(ev.Seq, 10), Event: &ev})
		if err != nil {
			t.Fatal(err)
		}
		var g, w any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("cursor %d: %v in %s", ev.Seq, err, got)
		}
		if err := json.Unmarshal(want, &w); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("cursor %d:\n got %s\nwant %s", ev.Seq, got, want)
		}
	}
	// A payload that is not JSON (nothing chatdeck journals is so) is sent
	// as null, not left out of the stream.
	bad := event.Event{Seq: 92, Source: event.Comm100, Kind: event.Unrecognised, Raw: json.RawMessage(`{"a":`)}
	msg, fixes, err := EncodeEvent(&bad)
	var m Message
	if err != nil || json.Unmarshal(msg, &m) != nil || m.Event == nil || m.Event.Seq != 92 || m.Event.Raw != nil ||
		len(fixes) != 1 || fixes[0].Reason != wire.ReasonPayload {
		t.Errorf("EncodeEvent of an event whose payload is not JSON: %s, %+v, %v", msg, fixes, err)
	}
}

// TestEncodeEventTooDeep: a payload as deep as encoding/json takes, which
// the message's two levels would push past it, is sent as a string of its
// text, flagged; one a level shallower than that fits, and is sent as it is.
func TestEncodeEventTooDeep(t *testing.T) {
	nest := func(n int) json.RawMessage {
		return json.RawMessage(strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n))
	}
	for _, tc := range []struct {
		depth    int
		asString bool
	}{{wire.MaxDepth, true}, {wire.MaxDepth - 2, false}} {
		ev := event.Event{Seq: 7, Source: event.JivoChat, Kind: event.Unrecognised, ReceivedAt: time.Now(), Raw: nest(tc.depth)}
		msg, fixes, err := EncodeEvent(&ev)
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			Event struct {
				Cursor   string          `json:"cursor"`
				AsString bool            `json:"payload_as_string"`
				Payload  json.RawMessage `json:"payload"`
			} `json:"event"`
		}
		if err := json.Unmarshal(msg, &m); err != nil {
			t.Fatalf("depth %d: the message does not decode: %v", tc.depth, err)
		}
		if m.Event.Cursor != "7" || m.Event.AsString != tc.asString || (len(fixes) == 1) != tc.asString {
			t.Errorf("depth %d: cursor %q, as string %v, fixes %+v", tc.depth, m.Event.Cursor, m.Event.AsString, fixes)
		}
		text := string(m.Event.Payload)
		if tc.asString {
			if err := json.Unmarshal(m.Event.Payload, &text); err != nil {
				t.Fatal(err)
			}
		}
		if text != string(ev.Raw) {
			t.Errorf("depth %d: the payload's text is not the one received", tc.depth)
		}
	}
}
