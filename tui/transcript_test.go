package tui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chatdeck/chatdeck/ingest/event"
)

// say is a chat event carrying the chat's messages so far: n lines.
func say(chat string, src event.Source, n int) event.Event {
	msgs := make([]event.Message, n)
	for i := range msgs {
		msgs[i] = event.Message{At: sec(float64(-300 + i)), From: event.FromVisitor, Name: "Ana", Text: fmt.Sprintf("line %d", i+1)}
	}
	return event.Event{Source: src, Kind: event.ChatUpdated, ChatID: chat, ReceivedAt: sec(-1), Messages: msgs}
}

func TestTranscriptFollowsWhileAtTheBottom(t *testing.T) {
	s := seeded()
	s.apply(say("c4", event.Comm100, 20))
	m := newModel(s, nil, 80, 16)
	m = press(m, "3", "/", "a", "n", "a", "enter", "enter") // c4, the Comm100 chat with Ana
	sc := screen(m)
	if !strings.Contains(sc, "line 20") || !strings.Contains(sc, "20/20 following") {
		t.Fatalf("a transcript opens at its last line:\n%s", sc)
	}
	m = applyAndRedraw(m, s, say("c4", event.Comm100, 22))
	if sc = screen(m); !strings.Contains(sc, "line 22") || !strings.Contains(sc, "22/22 following") {
		t.Errorf("new lines did not scroll into view:\n%s", sc)
	}
	// Scrolled up, it stays where the reader is.
	m = press(m, "k", "k")
	top := m.transcriptPane().top
	m = applyAndRedraw(m, s, say("c4", event.Comm100, 25))
	sc = screen(m)
	if m.transcriptPane().top != top || strings.Contains(sc, "line 25") || !strings.Contains(sc, "/25 (G follows)") {
		t.Errorf("scrolled up, the transcript moved (top %d, was %d):\n%s", m.transcriptPane().top, top, sc)
	}
	m = press(m, "G")
	m = applyAndRedraw(m, s, say("c4", event.Comm100, 26))
	if sc = screen(m); !strings.Contains(sc, "line 26") || !strings.Contains(sc, "26/26 following") {
		t.Errorf("G did not follow again:\n%s", sc)
	}
}

func TestTranscriptSaysWhenTheVendorSendsItAtTheEnd(t *testing.T) {
	s := seeded()
	m := newModel(s, nil, 120, 24)
	m = press(m, "3", "/", "a", "n", "a", "enter", "enter") // c4: Comm100, active
	if sc := screen(m); !strings.Contains(sc, "comm100 sends the transcript only when the chat ends") {
		t.Errorf("no note for an active Comm100 chat:\n%s", sc)
	}
	m = applyAndRedraw(m, s, event.Event{Source: event.Comm100, Kind: event.ChatEnded, ChatID: "c4", ReceivedAt: sec(-1)})
	if sc := screen(m); strings.Contains(sc, "sends the transcript only") {
		t.Errorf("a note for an ended chat:\n%s", sc)
	}
	// Chatlio can send a transcript mid-chat: no note.
	s.apply(event.Event{Source: event.Chatlio, Kind: event.ChatStarted, ChatID: "c2", ReceivedAt: sec(-1), Agents: []event.Agent{{ID: "7"}}})
	m = press(m, "esc", "esc", "g", "enter") // unfiltered, the first chat: Jonas's, now active
	if sc := screen(m); !strings.Contains(sc, "chatlio chat c2") || strings.Contains(sc, "sends the transcript only") {
		t.Errorf("chatlio chat:\n%s", sc)
	}
}
