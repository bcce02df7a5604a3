package decode

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/ingest/event"
)

// TestTimesThatCannotBeRealAreDropped: a vendor time before 2000, more than
// a day after its receipt, or at an offset beyond ±14:00 is left out of the
// event with a note naming the field; the rest of the event stands.
func TestTimesThatCannotBeRealAreDropped(t *testing.T) {
	tests := []struct {
		name, value string
		keep        bool
		why         string
	}{
		{"13-digit ms", `"/Date(1714564800000)/"`, true, ""},
		{"RFC 3339 at +14:00", `"2024-05-02T02:00:00+14:00"`, true, ""},
		{"RFC 3339 at -12:00", `"2024-04-30T23:59:00-12:00"`, true, ""},
		{"half a day ahead", `"2024-05-02T00:00:00Z"`, true, ""},
		{"1975 in ms", `"/Date(158441574930)/"`, true, ""}, // 12 digits: hundredths, 2020
		{"1975", `"1975-01-08T19:32:54Z"`, false, "before 2000"},
		{"9 digits of seconds", `158441574`, false, "before 2000"},
		{"the last second of 1999", `"1999-12-31T23:59:59Z"`, false, "before 2000"},
		{"two days ahead", `"2024-05-03T12:00:01Z"`, false, "more than a day after its receipt"},
		{"year 9999", `"9999-12-31T23:59:59-10:00"`, false, "more than a day after its receipt"},
		{"11-digit seconds of the far future", `"/Date(99999999999)/"`, false, "more than a day after its receipt"},
		{"+15:00", `"2024-05-01T12:00:00+15:00"`, false, "offset beyond ±14:00"},
		{"-14:30", `"2024-05-01T12:00:00-14:30"`, false, "offset beyond ±14:00"},
		{"/Date()/ +1430", `"/Date(1714564800000+1430)/"`, false, "offset"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := decodeJSON(t, event.Comm100, "", `{"event":"chat_ended","chat":{"id":"c","operator_comment":"kept","end_time":`+tt.value+`}}`)
			if ev.Chat == nil || ev.Chat.Comment != "kept" || ev.ChatID != "c" {
				t.Fatalf("the event did not stand: %+v", ev)
			}
			got := ev.Chat.EndedAt
			if tt.keep {
				if got.IsZero() || len(ev.Notes) != 0 {
					t.Errorf("end_time %s: got %v, notes %q; want it kept, no notes", tt.value, got, ev.Notes)
				}
				if !ev.OccurredAt.Equal(got) {
					t.Errorf("OccurredAt %v, want the end %v", ev.OccurredAt, got)
				}
				return
			}
			if !got.IsZero() || !ev.OccurredAt.IsZero() {
				t.Errorf("end_time %s: EndedAt %v, OccurredAt %v; want both dropped", tt.value, got, ev.OccurredAt)
			}
			if len(ev.Notes) != 1 || !strings.HasPrefix(ev.Notes[0], "chat.end_time: ") || !strings.Contains(ev.Notes[0], tt.why) {
				t.Errorf("notes %q, want one on chat.end_time saying %q", ev.Notes, tt.why)
			}
		})
	}
}

// TestRealTimesEverywhere: the rule holds for every time field, not only
// the chat's end: visitor times, message times, offline and status times.
func TestRealTimesEverywhere(t *testing.T) {
	const old = `"1999-12-31T23:59:59Z"`
	tests := []struct {
		name  string
		src   event.Source
		hint  string
		body  string
		field string
	}{
		{"comm100 visit_time", event.Comm100, "", `{"event":"chat_request","visitor":{"chat_id":"c","visit_time":` + old + `}}`, "visitor.visit_time"},
		{"comm100 status time", event.Comm100, "", `{"event":"away","operator_id":"a","time":` + old + `}`, "time"},
		{"comm100 offline time", event.Comm100, "", `{"event":"offline_message","offline_message":{"id":"o","time":` + old + `}}`, "offline_message.time"},
		{"comm100 wrap-up time", event.Comm100, "", `{"event":"chat_wrapped_up","chat_id":"c","wrapup":{"time":` + old + `}}`, "wrapup.time"},
		{"chatlio sentAt", event.Chatlio, "transcript", `{"conversationUUID":"c","messages":[{"text":"x","sentAt":` + old + `}]}`, "messages[0].sentAt"},
		{"jivo message timestamp", event.JivoChat, "", `{"event_name":"chat_finished","chat_id":1,"chat":{"messages":[{"timestamp":946684799}]}}`, "chat.messages[0].timestamp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := decodeJSON(t, tt.src, tt.hint, tt.body)
			if len(ev.Notes) != 1 || !strings.HasPrefix(ev.Notes[0], tt.field+": ") || !strings.Contains(ev.Notes[0], "before 2000") {
				t.Errorf("notes %q, want one on %s", ev.Notes, tt.field)
			}
			if !ev.OccurredAt.IsZero() {
				t.Errorf("OccurredAt %v, want none", ev.OccurredAt)
			}
		})
	}
}

// TestPolledTimesDroppedNotRefused: a poll whose time cannot be real keeps
// the agent or visitor (a dropped time is not a malformed answer).
func TestPolledTimesDroppedNotRefused(t *testing.T) {
	ev := decodeJSON(t, event.Comm100, HintVisitors, `{"visitors":[{"id":"v","name":"Ann","visitTime":"1970-01-02T00:00:00Z"}]}`)
	if len(ev.SnapshotVisitors) != 1 || ev.SnapshotVisitors[0].Name != "Ann" || !ev.SnapshotVisitors[0].VisitTime.IsZero() {
		t.Errorf("visitors %+v, want Ann without a visit time", ev.SnapshotVisitors)
	}
	if len(ev.Notes) != 1 || !strings.HasPrefix(ev.Notes[0], "visitors[0].visitTime: ") {
		t.Errorf("notes %q, want one on visitors[0].visitTime", ev.Notes)
	}
}

// TestComm100VendorTimes: OccurredAt is the vendor's time for what each
// event says happened: a request at the chat's start_time, an answer
// waiting_time after it, an end at end_time.
func TestComm100VendorTimes(t *testing.T) {
	start, end := ms(1714560000000), ms(1714560600000)
	chat := fmt.Sprintf(`"id":"c","start_time":"/Date(%d)/","end_time":"/Date(%d)/"`, start.UnixMilli(), end.UnixMilli())
	tests := []struct {
		body string
		want time.Time
	}{
		{`{"event":"chat_request","chat":{` + chat + `}}`, start},
		{`{"event":"chat_started","chat":{` + chat + `,"waiting_time":"1m 5s"}}`, start.Add(65 * time.Second)},
		{`{"event":"chat_started","chat":{` + chat + `}}`, time.Time{}}, // when it was answered is not said
		{`{"event":"chat_transferred","chat":{` + chat + `}}`, time.Time{}},
		{`{"event":"chat_ended","chat":{` + chat + `}}`, end},
		{`{"event":"chat_wrapped_up","chat":{` + chat + `},"wrapup":{"time":"/Date(1714560700000)/"}}`, ms(1714560700000)},
	}
	for _, tt := range tests {
		ev := decodeJSON(t, event.Comm100, "", tt.body)
		if !ev.OccurredAt.Equal(tt.want) {
			t.Errorf("%s: OccurredAt %v, want %v", tt.body, ev.OccurredAt, tt.want)
		}
	}
}

// TestNotesAreBounded: a payload of many bad fields says so in a few notes.
func TestNotesAreBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"event":"chat_request","visitor":{"chat_id":"c"`)
	for _, k := range []string{"name", "email", "phone", "company", "status", "ip", "city", "browser", "language", "time_zone", "referrer_url", "keywords"} {
		b.WriteString(`,"` + k + `":{}`)
	}
	b.WriteString(`}}`)
	ev := decodeJSON(t, event.Comm100, "", b.String())
	if len(ev.Notes) != maxNotes+1 || ev.Notes[maxNotes] != "and more" || !strings.HasPrefix(ev.Notes[0], "visitor.name: ") {
		t.Errorf("notes %q, want %d and \"and more\"", ev.Notes, maxNotes)
	}
	if ev.ChatID != "c" || ev.Kind != event.ChatRequested {
		t.Errorf("event %s %q, want the request for c kept", ev.Kind, ev.ChatID)
	}
}
