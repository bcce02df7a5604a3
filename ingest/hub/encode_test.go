package hub

import (
	"encoding/json"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/fixtures/traffic"
	"github.com/chatdeck/chatdeck/ingest/event"
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
		got, err := EncodeEvent(&ev)
		if err != nil {
			t.Fatal(err)
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
	bad := event.Event{Seq: 92, Source: event.Comm100, Kind: event.Unrecognised, Raw: json.RawMessage(`{"a":`)}
	if _, err := EncodeEvent(&bad); err == nil {
		t.Error("EncodeEvent of an event whose payload is not JSON: no error")
	}
}
