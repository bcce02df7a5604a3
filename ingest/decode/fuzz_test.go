package decode

import (
	"bytes"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/chatdeck/chatdeck/fixtures"
	"github.com/chatdeck/chatdeck/ingest/event"
)

// fuzzTargets are the (source, hint) pairs FuzzNormaliseDecode chooses from;
// the unknown ones must give ErrUnknownHint.
var fuzzTargets = []struct {
	src     event.Source
	hint    string
	unknown bool
}{
	{event.Comm100, "", false},
	{event.Comm100, HintAgents, false},
	{event.Comm100, HintVisitors, false},
	{event.Chatlio, "conversation-started", false},
	{event.Chatlio, "unanswered", false},
	{event.Chatlio, "feedback", false},
	{event.Chatlio, "offline-message", false},
	{event.Chatlio, "transcript", false},
	{event.JivoChat, "", false},
	{event.Chatlio, "bogus", true},
	{event.Comm100, "bogus", true},
	{"bogus", "", true},
	{event.Comm100, HintAgentStatus, false},
	{event.Comm100, HintVisitor, false},
}

var fuzzContentTypes = []string{"", "application/json", "application/json; charset=iso-8859-1", "application/json; charset=utf-16be"}

var knownKinds = map[event.Kind]bool{
	event.ChatRequested: true, event.ChatStarted: true, event.ChatAccepted: true, event.ChatAssigned: true,
	event.ChatUpdated: true, event.ChatTransferred: true, event.ChatEnded: true, event.ChatWrappedUp: true,
	event.VisitorUnanswered: true, event.VisitorUpdated: true, event.Feedback: true, event.OfflineMessage: true,
	event.CallEvent: true, event.AgentStatusChanged: true, event.AgentsSnapshot: true, event.VisitorsSnapshot: true,
	event.Unrecognised: true,
}

func targetIndex(p fixtures.Payload) uint8 {
	for i, tg := range fuzzTargets {
		if string(tg.src) == p.Source && tg.hint == hintFor(p) {
			return uint8(i)
		}
	}
	panic("no fuzz target for " + p.File)
}

func FuzzNormaliseDecode(f *testing.F) {
	for _, p := range fixtures.Webhooks() {
		f.Add(p.Body, targetIndex(p))
	}
	f.Add([]byte(`{"agents":[{"id":"a","status":"Online","ongoingChats":2}],"directory":[{"id":"A","displayName":"W"}]}`), uint8(1))
	f.Add([]byte(`{"visitors":[`+specVisitor+`]}`), uint8(2))
	f.Add([]byte("\xef\xbb\xbf{\"event\":\"chat_started\",\"visitor\":{\"chat_id\":\"c\",\"name\":\"Jos\xe9\"}}"), uint8(0|2<<4))
	f.Add(utf16Bytes(`{"event_name":"chat_finished","chat_id":1,"chat":{"messages":[{"timestamp":"/Date(1584415749307+0800)/"}]}}`, true, false), uint8(8|3<<4))
	f.Add([]byte(`{"event":"chat_ended","chat":{"id":"c","operators":5}}`), uint8(0))
	f.Add([]byte(`// c`+"\n"+`{"event":"away","operator_id":1,"time":"1e300"}`), uint8(0))
	f.Add([]byte(`{"conversationUUID":"c","messages":{"ts":"1.5e10","isVisitorMsg":1}}`), uint8(7))
	f.Add([]byte(`null`), uint8(9))
	f.Add([]byte(`{}`), uint8(11))
	f.Add([]byte(`{ "id": "c97a2afe-a38f-46f8-a55b-8ac9f873cd09", "status": "Meeting", "ongoingChats": 0 }`), uint8(12))
	f.Add([]byte(specVisitor), uint8(13))
	f.Add([]byte(`{"agents":[],"away_statuses":[{"name":"Meeting","isEnabled":true},"Training"]}`), uint8(1))
	f.Add([]byte(`{"visitors":[{"id":"v","departmentId":"C47C5E3A-0A3B-4AA5-98EA-CEC0AE5AB7B9"}],"departments":[{"id":"c47c5e3a-0a3b-4aa5-98ea-cec0ae5ab7b9","name":"Sales"}]}`), uint8(2))

	f.Fuzz(func(t *testing.T, raw []byte, choice uint8) {
		target := fuzzTargets[int(choice&0x0f)%len(fuzzTargets)]
		contentType := fuzzContentTypes[int(choice>>4)%len(fuzzContentTypes)]
		checkNormaliseDecode(t, raw, target.src, target.hint, target.unknown, contentType)
	})
}

// checkNormaliseDecode normalises raw as a body labelled contentType and
// decodes it for src and hint, checking the decoders' contract: errors are
// *Error with a message, an unknown hint is ErrUnknownHint, an event has a
// known kind, keeps its source, time and raw body, encodes as JSON, has no
// negative wait, and decoding is deterministic.
func checkNormaliseDecode(t *testing.T, raw []byte, src event.Source, hint string, unknown bool, contentType string) {
	t.Helper()
	body, err := Normalise(raw, contentType)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) || e.Msg == "" {
			t.Fatalf("Normalise error %v (%T) is not an *Error with a message", err, err)
		}
		if body != nil {
			t.Fatalf("Normalise returned a body with an error")
		}
		return
	}
	if len(body) == 0 || body[0] != '{' || !json.Valid(body) || !utf8.Valid(body) {
		t.Fatalf("Normalise output is not one UTF-8 JSON object: %q", body)
	}
	again, err := Normalise(body, "application/json")
	if err != nil || !bytes.Equal(again, body) {
		t.Fatalf("Normalise is not idempotent: %q -> %q, %v", body, again, err)
	}

	in := Input{Source: src, Hint: hint, Body: body, ReceivedAt: received}
	ev, err := Decode(in)
	if unknown {
		if !errors.Is(err, ErrUnknownHint) {
			t.Fatalf("Decode(%s, %q) = %v, want ErrUnknownHint", src, hint, err)
		}
		return
	}
	if err != nil {
		var e *Error
		if !errors.As(err, &e) || e.Msg == "" {
			t.Fatalf("Decode error %v (%T) is not an *Error with a message", err, err)
		}
		return
	}
	if !knownKinds[ev.Kind] {
		t.Fatalf("Decode gave kind %q", ev.Kind)
	}
	if ev.Source != src || !ev.ReceivedAt.Equal(received) || !bytes.Equal(ev.Raw, body) {
		t.Fatalf("Decode lost source, ReceivedAt or Raw: %s %v %q", ev.Source, ev.ReceivedAt, ev.Raw)
	}
	if _, err := json.Marshal(ev); err != nil {
		t.Fatalf("decoded event does not encode as JSON: %v", err)
	}
	if ev.Chat != nil && ev.Chat.HasWait && ev.Chat.Wait < 0 {
		t.Fatalf("negative wait %v", ev.Chat.Wait)
	}
	ev2, err := Decode(in)
	if err != nil || len(diff(ev2, ev)) > 0 {
		t.Fatalf("Decode is not deterministic: %v %v", err, diff(ev2, ev))
	}
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{
		"/Date(1584415749307)/", "/Date(1584415749)/", "/Date(15844157493)/", "/Date(1584415749307+0800)/",
		"/Date(1584415749307-0500)/", `\/Date(1584415749307)\/`, "/Date(-62135596800000)/", "1584415749307",
		"1469725409.000005", "2016-02-07T11:02:17.839766-08:00", "2021-05-26T10:30:16.036Z", "2021-05-26 10:30:16",
		"2021-05-26", "Mon, 02 Jan 2006 15:04:05 -0700", "", "-1", "1e300", "/Date(9.5e18)/", "NaN", "Inf",
	} {
		f.Add(s)
	}
	// Every time-looking value of every fixture.
	for _, p := range fixtures.Webhooks() {
		for _, s := range stringsIn(p.Body) {
			if _, err := ParseTime(s); err == nil && s != "" {
				f.Add(s)
			}
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTime(s)
		if err != nil {
			if !got.IsZero() {
				t.Fatalf("ParseTime(%q) = %v with error %v", s, got, err)
			}
			return
		}
		if got.IsZero() {
			return
		}
		if _, err := got.MarshalJSON(); err != nil {
			t.Fatalf("ParseTime(%q) = %v, which cannot be encoded: %v", s, got, err)
		}
		// The RFC 3339 form of a result reads back as the same instant and offset.
		back, err := ParseTime(got.Format(time.RFC3339Nano))
		_, o1 := got.Zone()
		_, o2 := back.Zone()
		if err != nil || !back.Equal(got) || o1 != o2 {
			t.Fatalf("ParseTime(%q) = %v, whose RFC 3339 form reads back as %v, %v", s, got, back, err)
		}
		// A /Date()/ form of an epoch reads back in the same unit.
		if inner, ok := msDateInner(strings.TrimSpace(s)); ok && !strings.ContainsAny(inner, "+-.eE") {
			if bare, err := ParseTime(inner); err != nil || !bare.Equal(got) {
				t.Fatalf("ParseTime(%q) = %v but ParseTime(%q) = %v, %v", s, got, inner, bare, err)
			}
		}
	})
}

// stringsIn lists the string values of a JSON document (comments stripped).
func stringsIn(body []byte) []string {
	b, err := Normalise(body, "")
	if err != nil {
		return nil
	}
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	var v any
	if json.Unmarshal(b, &v) == nil {
		walk(v)
	}
	return out
}

func FuzzParseTranscript(f *testing.F) {
	f.Add(chatTranscriptOf("comm100/chat_ended.json"), int64(1584415801019), int64(1584416219323), "testName", "Walid")
	f.Add(chatTranscriptOf("comm100/chat_ended_legacy.json"), int64(1584436500000), int64(1584436620000), "Ana", "Mei")
	f.Add("[03:30:01] Walid: hi⊙The chat is ended.(03:36:59)", int64(1584445001000), int64(1584445019000), "", "Walid")
	f.Add("[23:59:10] Ana: late⊙[00:01:00] Bo: early⊙The chat is ended.(00:02:00)", int64(1584417480000), int64(1584421320000), "Ana", "Bo,")
	f.Add("[9:05] x⊙Operator Bo has joined⊙[25:61:99] Bo: y⊙(1:2)", int64(0), int64(1), "", "")
	f.Fuzz(func(t *testing.T, s string, startMs, endMs int64, visitor, agents string) {
		const maxMs = 253402300799999 // 9999-12-31T23:59:59.999Z
		start, end := time.Time{}, time.Time{}
		if startMs > 0 && startMs <= maxMs {
			start = time.UnixMilli(startMs)
		}
		if endMs > 0 && endMs <= maxMs {
			end = time.UnixMilli(endMs)
		}
		msgs := ParseTranscript(s, start, end, visitor, strings.Split(agents, ","))

		// One message per non-blank line: lines end at ⊙, or, in a
		// transcript with none, at a newline, real or a literal \n.
		var split []string
		if strings.Contains(s, TranscriptSeparator) {
			split = strings.Split(s, TranscriptSeparator)
		} else {
			split = regexp.MustCompile(`\r?\n|\\r\\n|\\n`).Split(s, -1)
		}
		lines := 0
		for _, l := range split {
			if strings.TrimSpace(l) != "" {
				lines++
			}
		}
		if len(msgs) != lines {
			t.Fatalf("%d messages from %d lines", len(msgs), lines)
		}
		lo := start
		if lo.IsZero() || lo.After(end) {
			lo = end
		}
		anchored := false
		for _, m := range msgs {
			anchored = anchored || !m.At.IsZero()
		}
		if anchored && end.IsZero() {
			t.Fatalf("messages have times without an end time: %+v", msgs)
		}
		prev := lo
		for i, m := range msgs {
			switch m.From {
			case event.FromVisitor, event.FromAgent:
				if m.Clock == "" {
					t.Fatalf("message %d from %s has no clock: %+v", i, m.From, m)
				}
			case event.FromSystem:
			default:
				t.Fatalf("message %d has sender %q", i, m.From)
			}
			if !anchored {
				continue
			}
			// Within 12 hours of the chat's span.
			if d := distance(m.At, lo, end.Add(time.Second)); d > 12*time.Hour+time.Second {
				t.Fatalf("message %d At %v is %v from the chat [%v, %v]", i, m.At, d, lo, end)
			}
			secs, ok := clockSeconds(m.Clock)
			if !ok {
				// No readable time: the time of the line before, or the start.
				if !m.At.Equal(prev) {
					t.Fatalf("message %d without a readable clock has At %v, want %v", i, m.At, prev)
				}
				continue
			}
			prev = m.At
			// The printed clock is At in a zone whose offset is a whole
			// number of quarter hours.
			u := m.At.UTC()
			atSecs := u.Hour()*3600 + u.Minute()*60 + u.Second()
			if ((secs-atSecs)%900+900)%900 != 0 || m.At.Nanosecond() != 0 {
				t.Fatalf("message %d At %v does not print as %s in a quarter-hour zone", i, m.At, m.Clock)
			}
		}
	})
}

// chatTranscriptOf is the chat_transcript of a Comm100 fixture.
func chatTranscriptOf(file string) string {
	var p struct {
		Chat struct {
			Transcript string `json:"chat_transcript"`
		} `json:"chat"`
	}
	if err := json.Unmarshal(fixtures.MustRead(file), &p); err != nil {
		panic(err)
	}
	return p.Chat.Transcript
}
