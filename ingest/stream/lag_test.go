package stream

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/ingest/event"
	"github.com/chatdeck/chatdeck/ingest/hub"
)

func TestLagOfReadsTheEventsReceiptTime(t *testing.T) {
	at := time.Now().Add(-2 * time.Second).UTC()
	ev := &event.Event{Seq: 7, Source: event.Comm100, Kind: event.Unrecognised, ReceivedAt: at,
		// Text that looks like the key, in a string and in the payload.
		VendorEvent: `x","received_at":"2001-01-01T00:00:00Z`,
		Raw:         json.RawMessage(`{"received_at":"2001-01-01T00:00:00Z"}`)}
	msg, _, err := hub.EncodeEvent(ev)
	if err != nil {
		t.Fatal(err)
	}
	if lag := lagOf(msg); lag < 2*time.Second || lag > time.Minute {
		t.Errorf("lagOf = %v, want about 2s", lag)
	}
	polls, err := json.Marshal(hub.Message{Type: "polls"})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range [][]byte{polls, []byte(`{"type":"event","event":{"received_at":"not a time"}}`), nil} {
		if lag := lagOf(m); lag != 0 {
			t.Errorf("lagOf(%s) = %v, want 0", m, lag)
		}
	}
}
