package decode

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/ingest/event"
)

// TestTranscriptSiteZones prints a transcript's clocks in many site zones,
// with chats that cross local and UTC midnights, and expects each message's
// At to be the instant it was printed from. Negative offsets were 15 minutes
// off (the offset was rounded toward zero): -08:00 read as -07:45.
func TestTranscriptSiteZones(t *testing.T) {
	offsets := []int{ // minutes
		-12 * 60, -11 * 60, -10 * 60, -8 * 60, -5 * 60, -3*60 - 30, -60, 0,
		60, 5*60 + 30, 5*60 + 45, 8 * 60, 12*60 + 45, 13 * 60, 14 * 60,
	}
	ends := []time.Time{
		time.Date(2020, 3, 17, 3, 36, 59, 323e6, time.UTC),
		time.Date(2020, 3, 17, 0, 1, 30, 0, time.UTC),       // just after UTC midnight
		time.Date(2020, 12, 31, 23, 59, 0, 999e6, time.UTC), // just before a new year
		time.Date(2021, 6, 1, 12, 0, 0, 0, time.UTC),
	}
	for _, off := range offsets {
		zone := time.FixedZone("site", off*60)
		for _, end := range ends {
			name := fmt.Sprintf("%+03d:%02d/%s", off/60, abs(off%60), end.Format(time.RFC3339))
			t.Run(name, func(t *testing.T) {
				start := end.Add(-7 * time.Minute)
				said := []time.Time{end.Add(-6 * time.Minute), end.Add(-4*time.Minute - 30*time.Second), end.Add(-2 * time.Minute)}
				clock := func(t time.Time) string { return t.In(zone).Format("15:04:05") }
				lines := []string{
					"Agent Walid has joined the chat.",
					"[" + clock(said[0]) + "] Ana: hello",
					"[" + clock(said[1]) + "] Walid: hi Ana",
					"[" + clock(said[2]) + "] Ana: bye",
					"The chat is ended.(" + clock(end) + ")",
				}
				got := ParseTranscript(strings.Join(lines, TranscriptSeparator)+TranscriptSeparator, start, end, "Ana", nil)
				want := []event.Message{
					{From: event.FromSystem, At: start, Text: "Agent Walid has joined the chat."}, // the chat's start
					{From: event.FromVisitor, Name: "Ana", Text: "hello", Clock: clock(said[0]), At: said[0].Truncate(time.Second).UTC()},
					{From: event.FromAgent, Name: "Walid", Text: "hi Ana", Clock: clock(said[1]), At: said[1].Truncate(time.Second).UTC()},
					{From: event.FromVisitor, Name: "Ana", Text: "bye", Clock: clock(said[2]), At: said[2].Truncate(time.Second).UTC()},
					{From: event.FromSystem, Text: "The chat is ended.", Clock: clock(end), At: end.Truncate(time.Second).UTC()},
				}
				checkEqual(t, "messages", got, want)
			})
		}
	}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func TestParseTranscriptLines(t *testing.T) {
	end := time.Date(2020, 3, 17, 9, 17, 0, 0, time.UTC)
	start := end.Add(-10 * time.Minute)
	at := func(h, m, s int) time.Time { return time.Date(2020, 3, 17, h, m, s, 0, time.UTC) }
	tests := []struct {
		name    string
		in      string
		visitor string
		agents  []string
		want    []event.Message
	}{
		{name: "empty", in: "", want: nil},
		{name: "separators only", in: "⊙ ⊙⊙", want: nil},
		{
			name:   "untimed lines take the time before them; start after end counts as end",
			in:     "Chat started⊙[09:10:00] Ana: hi⊙Ana sent a file⊙[09:12:00] Bo: ok⊙Ana left",
			agents: []string{"Bo"},
			want: []event.Message{
				{From: event.FromSystem, At: end, Text: "Chat started"},
				{From: event.FromVisitor, Name: "Ana", Clock: "09:10:00", At: at(9, 10, 0), Text: "hi"},
				{From: event.FromSystem, At: at(9, 10, 0), Text: "Ana sent a file"},
				{From: event.FromAgent, Name: "Bo", Clock: "09:12:00", At: at(9, 12, 0), Text: "ok"},
				{From: event.FromSystem, At: at(9, 12, 0), Text: "Ana left"},
			},
		},
		{
			name: "speaker joins later", in: "[09:10:00] Mei: hello⊙Operator Mei has joined the chat.⊙The chat is ended.(09:17:00)",
			want: []event.Message{
				{From: event.FromAgent, Name: "Mei", Clock: "09:10:00", At: at(9, 10, 0), Text: "hello"},
				{From: event.FromSystem, At: at(9, 10, 0), Text: "Operator Mei has joined the chat."}, // the line before's time
				{From: event.FromSystem, Clock: "09:17:00", At: at(9, 17, 0), Text: "The chat is ended."},
			},
		},
		{
			name: "unknown speaker is the visitor, names compared without case", in: "[09:10:00] Guest: hi⊙[09:11:00] mei: yes⊙[9:12] Sam: x: y",
			agents: []string{"Mei"},
			want: []event.Message{
				{From: event.FromVisitor, Name: "Guest", Clock: "09:10:00", Text: "hi"},
				{From: event.FromAgent, Name: "mei", Clock: "09:11:00", Text: "yes"},
				{From: event.FromVisitor, Name: "Sam", Clock: "9:12", Text: "x: y"},
			},
		},
		{
			name: "a visitor who shares an agent's name stays the visitor", in: "[09:10:00] Sam: hi⊙The chat is ended.(09:17:00)",
			visitor: "Sam", agents: []string{"Sam"},
			want: []event.Message{
				{From: event.FromVisitor, Name: "Sam", Clock: "09:10:00", At: at(9, 10, 0), Text: "hi"},
				{From: event.FromSystem, Clock: "09:17:00", At: at(9, 17, 0), Text: "The chat is ended."},
			},
		},
		{
			name: "stamped line without a speaker is a system line; HH:MM clocks", in: "[09:10] Chat transferred to Mei⊙The chat is ended.(09:17)",
			want: []event.Message{
				{From: event.FromSystem, Clock: "09:10", At: at(9, 10, 0), Text: "Chat transferred to Mei"},
				{From: event.FromSystem, Clock: "09:17", At: at(9, 17, 0), Text: "The chat is ended."},
			},
		},
		{
			name: "impossible clock keeps no At", in: "[25:10:00] Ana: hi⊙The chat is ended.(09:17:00)",
			want: []event.Message{
				{From: event.FromVisitor, Name: "Ana", Clock: "25:10:00", At: start, Text: "hi"}, // unreadable: the chat's start
				{From: event.FromSystem, Clock: "09:17:00", At: at(9, 17, 0), Text: "The chat is ended."},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, e := start, end
			switch tt.name {
			case "unknown speaker is the visitor, names compared without case":
				s, e = time.Time{}, time.Time{} // no anchor: clocks only
			case "untimed lines take the time before them; start after end counts as end":
				s = e.Add(time.Hour) // the anchor is the last clock, 09:12:00 against end 09:17:00
			}
			checkEqual(t, "messages", ParseTranscript(tt.in, s, e, tt.visitor, tt.agents), tt.want)
		})
	}
}

// TestTranscriptAcrossMidnight: a chat from 23:58 to 00:02 site time puts
// the 23:59 line on the day before the end.
func TestTranscriptAcrossMidnight(t *testing.T) {
	zone := time.FixedZone("", -5*3600)
	start := time.Date(2020, 3, 16, 23, 58, 0, 0, zone)
	end := time.Date(2020, 3, 17, 0, 2, 0, 0, zone)
	got := ParseTranscript("[23:59:10] Ana: late⊙[00:01:00] Bo: early⊙The chat is ended.(00:02:00)", start, end, "Ana", []string{"Bo"})
	want := []time.Time{
		time.Date(2020, 3, 16, 23, 59, 10, 0, zone),
		time.Date(2020, 3, 17, 0, 1, 0, 0, zone),
		end,
	}
	if len(got) != len(want) {
		t.Fatalf("%d messages, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if !got[i].At.Equal(want[i]) {
			t.Errorf("message %d At = %v, want %v", i, got[i].At, want[i].UTC())
		}
	}
}

// TestTranscriptLineSeparators: a transcript whose lines are separated by
// real newlines or by a literal backslash-n reads as one separated by ⊙;
// with ⊙ present, a newline is inside a message.
func TestTranscriptLineSeparators(t *testing.T) {
	end := time.Date(2020, 3, 17, 9, 17, 0, 0, time.UTC)
	start := end.Add(-10 * time.Minute)
	want := ParseTranscript("[09:10:00] Ana: hi⊙[09:11:00] Bo: hello⊙The chat is ended.(09:17:00)", start, end, "Ana", []string{"Bo"})
	if len(want) != 3 {
		t.Fatalf("the ⊙ transcript gave %d messages, want 3", len(want))
	}
	for name, in := range map[string]string{
		"real newlines":       "[09:10:00] Ana: hi\n[09:11:00] Bo: hello\nThe chat is ended.(09:17:00)",
		"CRLF":                "[09:10:00] Ana: hi\r\n[09:11:00] Bo: hello\r\nThe chat is ended.(09:17:00)\r\n",
		"literal backslash-n": `[09:10:00] Ana: hi\n[09:11:00] Bo: hello\nThe chat is ended.(09:17:00)`,
		"literal CRLF":        `[09:10:00] Ana: hi\r\n[09:11:00] Bo: hello\r\nThe chat is ended.(09:17:00)`,
	} {
		checkEqual(t, name, ParseTranscript(in, start, end, "Ana", []string{"Bo"}), want)
	}
	got := ParseTranscript("[09:10:00] Ana: line one\nline two⊙The chat is ended.(09:17:00)", start, end, "Ana", nil)
	if len(got) != 2 || got[0].Text != "line one\nline two" {
		t.Errorf("⊙ transcript with a newline in a message: %+v, want the message whole", got)
	}
	// Through the decoder: a webhook's chat_transcript as JSON carries it.
	ev := decodeJSON(t, event.Comm100, "", `{"event":"chat_ended","chat":{"id":"c","chat_transcript":"[09:10:00] Ana: hi\\n[09:11:00] Bo: hello"}}`)
	if len(ev.Messages) != 2 || ev.Messages[1].Text != "hello" {
		t.Errorf("decoded transcript with a literal \\n: %+v, want two messages", ev.Messages)
	}
}
