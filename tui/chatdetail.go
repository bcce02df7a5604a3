package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/event"
)

// chatPreview is what the queue and chats panes copy in Load for their
// selected row's chat, so that Detail draws it without the board: the
// chat (its messages are shared, never copied) and its title, and the
// transcript wrapped for the last width drawn.
type chatPreview struct {
	ok    bool
	chat  board.Chat
	title string

	// The wrapped lines, kept while the chat, its messages and the width
	// are those they were wrapped for.
	width int
	key   string
	lines []line
}

// load copies the chat from the board; ok false if it is not there.
func (c *chatPreview) load(b *board.Board, src event.Source, id string) {
	ch, ok := b.Chat(src, id)
	c.ok = ok
	if !ok {
		return
	}
	c.chat, c.title = ch, transcriptTitle(ch, b)
}

// wrapped is the transcript wrapped to w, from the cache when it holds.
func (c *chatPreview) wrapped(w int, loc *time.Location) []line {
	msgs := c.chat.Messages
	k := identity(c.chat.Source, c.chat.ID) + fmt.Sprintf("\x00%d", len(msgs))
	if n := len(msgs); n > 0 {
		k += "\x00" + msgs[n-1].At.String() + msgs[n-1].Text
	}
	if c.lines == nil || c.key != k || c.width != w {
		c.lines, c.key, c.width = transcriptLines(c.chat, w, loc), k, w
	}
	return c.lines
}

// view draws the chat's title, the facts given, and the last lines of its
// transcript that fit in w x h.
func (c *chatPreview) view(t *Theme, keys *KeyMap, w, h int, loc *time.Location, facts ...string) string {
	if !c.ok {
		return ""
	}
	// The title and the facts wrap: the panel is narrow, and what it is
	// for is to be read whole.
	out := strings.Split(ansi.Wrap(t.Bold.Render(c.title), w, ""), "\n")
	if endOnly[c.chat.Source] && c.chat.State != board.Ended && c.chat.State != board.Missed {
		facts = append(facts, t.Dim.Render(fmt.Sprintf("%s sends the transcript only when the chat ends", c.chat.Source)))
	}
	for _, f := range facts {
		if f != "" {
			out = append(out, strings.Split(ansi.Wrap(f, w, ""), "\n")...)
		}
	}
	lines := c.wrapped(w, loc)
	hint := t.Dim.Render(keys.Open.Help().Key + " opens the whole transcript")
	room := h - len(out) - 2 // the rule above the lines, the hint below
	rule := fmt.Sprintf("── last messages (%d of %d lines) ", min(max(room, 0), len(lines)), len(lines))
	if len(lines) == 0 {
		rule = "── no messages yet "
	}
	out = append(out, t.Dim.Render(rule+strings.Repeat("─", max(w-len([]rune(rule)), 0))))
	for _, l := range lines[max(len(lines)-max(room, 0), 0):] {
		out = append(out, l.styled(t))
	}
	out = append(out, hint)
	return strings.Join(padLines(out, w, h), "\n")
}

// Detail is the selected visitor's request and chat so far.
func (p *queuePane) Detail(w, h int) string {
	e, ok := p.Selected()
	if !ok || !p.preview.ok {
		return ""
	}
	t := &p.Theme
	wait := p.queueWait(e)
	facts := []string{
		"waiting " + waitLevel(p.Alerts, wait).render(t, t.OK, dur(wait)) + " · since " +
			e.WaitingSince.In(p.Now.Location()).Format("15:04:05") + " · " + nameOr(e.Department, "no department"),
	}
	if e.Email != "" {
		facts = append(facts, "email "+e.Email)
	}
	if e.Unanswered {
		facts = append(facts, t.Alert.Render("! the vendor reported this visitor as not answered in time"))
	}
	if e.FromBrowser {
		facts = append(facts, t.Dim.Render("known only from the visitor's browser (untrusted)"))
	}
	return p.preview.view(t, &p.Keys, w, h, p.Now.Location(), facts...)
}

// Detail is the selected chat's state and its last messages.
func (p *chatsPane) Detail(w, h int) string {
	c, ok := p.Selected()
	if !ok || !p.preview.ok {
		return ""
	}
	t := &p.Theme
	fact := string(c.State) + fmt.Sprintf(" · %d messages", c.Messages)
	if c.State == board.Active && !c.LastVisitorMessageAt.IsZero() {
		fact += " · visitor silent " + dur(p.Now.Sub(c.LastVisitorMessageAt))
	}
	if c.Rating != "" {
		fact += " · rated " + c.Rating
	}
	return p.preview.view(t, &p.Keys, w, h, p.Now.Location(), t.Dim.Render(fact))
}
