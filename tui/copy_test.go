package tui

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/chatdeck/chatdeck/ingest/event"
)

// copied presses y and returns what the command puts on the clipboard
// (the message tea.SetClipboard makes, which writes OSC 52) and the
// status line.
func copied(t *testing.T, m Model) (string, string) {
	t.Helper()
	next, cmd := m.Update(tea.KeyPressMsg{Code: 'y', Text: "y"})
	m = next.(Model)
	if cmd == nil {
		t.Fatalf("y gave no command; status line %q", m.statusLine())
	}
	msg := cmd()
	if got := fmt.Sprintf("%T", msg); got != "tea.setClipboardMsg" {
		t.Fatalf("y gave a %s, not tea.SetClipboard's message", got)
	}
	lines := strings.Split(screen(m), "\n")
	return fmt.Sprint(msg), lines[m.lay.statusY]
}

// TestCopyPutsTheSelectedItemOnTheClipboard: y in each pane copies what it
// says it copies, and the status line names it.
func TestCopyPutsTheSelectedItemOnTheClipboard(t *testing.T) {
	s := seeded()
	s.apply(event.Event{Source: event.Comm100, Kind: event.ChatRequested, ChatID: "c7", ReceivedAt: sec(-200),
		Visitor: &event.Visitor{ID: "v7", Name: "Lena", Email: "lena@example.com"}})
	for _, tc := range []struct {
		keys       []string
		text, said string
	}{
		{[]string{"1"}, "comm100 chat c7 · Lena · lena@example.com", "✓ copied chat c7"},
		{[]string{"1", "j"}, "comm100 chat c1 · Priya", "✓ copied chat c1"},
		{[]string{"2"}, "comm100 agent a-ann · Ann", "✓ copied agent Ann (a-ann)"},
		{[]string{"3"}, "jivochat chat c5 · John", "✓ copied chat c5"},
		{[]string{"3", "j"}, "comm100 chat c4 · Ana", "✓ copied chat c4"},
		{[]string{"5", "j"}, "bob@smith.com", "✓ copied bob@smith.com"},
		{[]string{"5", "j", "enter"}, "I love your service!", "✓ copied the offline message from Bob Smith"},
		{[]string{"5"}, `{"event":"chat_rated_v9"}`, "✓ copied the unrecognised message from comm100"},
		{[]string{"3", "j", "enter"}, "comm100 chat c4 · Ana · active · with Ann · Support\n" +
			"[13:55:10] Ana: My order is late\n" +
			"[13:55:50] Ann: Sorry to hear that, let me check the courier for you.\n" +
			"[13:58:00] Ana: Thanks!\n", "✓ copied the transcript of chat c4 (3 messages)"},
	} {
		m := press(newModel(s, nil, 80, 24), tc.keys...)
		text, said := copied(t, m)
		if text != tc.text {
			t.Errorf("%v y copied\n%q, want\n%q", tc.keys, text, tc.text)
		}
		if got := strings.TrimRight(said, " "); got != tc.said {
			t.Errorf("%v y said %q, want %q", tc.keys, got, tc.said)
		}
	}
	// Nothing to copy: said, and no clipboard write.
	m := press(newModel(newMemSource(), nil, 80, 24), "2")
	next, cmd := m.Update(tea.KeyPressMsg{Code: 'y', Text: "y"})
	if cmd != nil {
		t.Errorf("y with no agent gave a command (%T)", cmd())
	}
	if sl := next.(Model).statusLine(); !strings.Contains(sl, "no agent selected to copy") {
		t.Errorf("status line %q", sl)
	}
}

// TestInboxOpensInFull: enter shows the whole offline message, wrapped to
// the width, with the visitor's email, phone, date and department; esc
// goes back; the side panel's Detail is the same.
func TestInboxOpensInFull(t *testing.T) {
	s := seeded()
	long := strings.Repeat("The parcel never arrived and the tracking page says delivered. ", 4) + "END"
	s.apply(event.Event{Source: event.Comm100, Kind: event.OfflineMessage, ReceivedAt: sec(-2),
		Department: &event.Department{Name: "Shipping"},
		Offline: &event.Offline{Name: "Kim Lee", Email: "kim@example.com", Phone: "+44 20 7946 0000",
			Subject: "Lost parcel", Text: long}})
	m := press(newModel(s, nil, 80, 24), "5", "enter")
	lines := paneLines(m)
	want := []string{
		"Offline message from Kim Lee",
		"",
		"Date        Sat 21 Nov 2026 13:59:58 UTC",
		"Source      comm100",
		"Name        Kim Lee",
		"Email       kim@example.com",
		"Phone       +44 20 7946 0000",
		"Department  Shipping",
		"Subject     Lost parcel",
		"",
		"Lost parcel",
		"",
	}
	for i, w := range want {
		if got := strings.TrimRight(lines[i], " "); got != w {
			t.Errorf("line %d %q, want %q", i, got, w)
		}
	}
	var body []string
	for _, l := range lines[len(want):] {
		if lipgloss.Width(l) != 80 {
			t.Errorf("line %q is %d wide", l, lipgloss.Width(l))
		}
		if l = strings.TrimSpace(l); l != "" {
			body = append(body, l)
		}
	}
	if got := strings.Join(body, " "); got != strings.TrimSpace(long) {
		t.Errorf("the message, unwrapped:\n%q, want\n%q", got, long)
	}
	if len(body) < 4 {
		t.Errorf("a %d-character message on %d lines: not wrapped", len(long), len(body))
	}
	if !strings.Contains(lastLine(screen(m)), "esc list") {
		t.Errorf("footer %q lacks esc list", lastLine(screen(m)))
	}
	m = press(m, "esc")
	if got := strings.TrimRight(paneLines(m)[0], " "); !strings.HasPrefix(got, "WHEN     TYPE") {
		t.Errorf("esc did not go back to the list: %q", got)
	}
	d := strings.Split(m.panes[m.paneByID("inbox")].(Detailer).Detail(50, 8), "\n")
	if len(d) != 8 || !strings.Contains(d[0], "Kim Lee") || !strings.Contains(d[5], "kim@example.com") {
		t.Errorf("Detail(50, 8):\n%s", strings.Join(d, "\n"))
	}
}
