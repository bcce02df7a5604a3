package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/event"
)

// line is one rendered transcript line.
type line struct {
	text string
	from event.Sender
}

// styled is the line in its speaker's style: agents in the info colour,
// the system dimmed.
func (l line) styled(t *Theme) string {
	switch l.from {
	case event.FromAgent:
		return t.Info.Render(l.text)
	case event.FromSystem:
		return t.Dim.Render(l.text)
	}
	return l.text
}

// transcriptPane is the open chat, every line with its time and speaker,
// scrollable and searchable.
type transcriptPane struct {
	Common
	chat   rowRef
	title  string
	lines  []line // the whole chat, wrapped to the width
	top    int    // the first line shown
	follow bool   // at the bottom: new lines scroll into view
	note   string // what the vendor does not send yet
	search string
	msgs   []event.Message // the chat's messages, for the copy
}

// endOnly are the vendors whose webhooks carry a chat's transcript only
// when it ends (Comm100's chat_ended, Jivo's chat_finished); Chatlio's
// transcript webhook can also be sent mid-chat.
var endOnly = map[event.Source]bool{event.Comm100: true, event.JivoChat: true}

func newTranscriptPane(c *Context) Pane {
	p := &transcriptPane{}
	p.Context = c
	return p
}

func (p *transcriptPane) ID() string         { return "transcript" }
func (p *transcriptPane) Title() string      { return "Transcript" }
func (p *transcriptPane) Count() (int, bool) { return 0, false }
func (p *transcriptPane) Chips() []string    { return nil }

// Status is the status line's part: the position is on the title line,
// where no message hides it.
func (p *transcriptPane) Status() string { return "" }

// position is "12/40": the last line shown and the lines, and whether new
// ones will scroll into view.
func (p *transcriptPane) position() string {
	if len(p.lines) == 0 {
		return ""
	}
	pos := fmt.Sprintf("%d/%d", min(p.top+p.bodyHeight(), len(p.lines)), len(p.lines))
	if p.follow {
		return pos + " following"
	}
	return pos + " (" + p.Keys.Bottom.Help().Key + " follows)"
}

// OpenChat shows the chat, from its first line.
func (p *transcriptPane) OpenChat(c rowRef) {
	p.chat, p.top, p.search, p.follow = c, 0, "", true
}

// bodyHeight is the lines shown under the title (and the note).
func (p *transcriptPane) bodyHeight() int {
	if p.note != "" {
		return max(p.Height-2, 1)
	}
	return max(p.Height-1, 1)
}

func (p *transcriptPane) Load(b *board.Board, focused bool) {
	if !focused {
		return
	}
	c, ok := b.Chat(p.chat.Source, p.chat.ID)
	if !ok {
		p.title = "no chat open: select one in Chats (3) or Queue (1) and press enter"
		p.lines, p.msgs = nil, nil
		return
	}
	p.title, p.msgs = transcriptTitle(c, b), c.Messages
	p.lines = transcriptLines(c, p.Width, p.Now.Location())
	p.note = ""
	if endOnly[c.Source] && c.State != board.Ended && c.State != board.Missed {
		p.note = fmt.Sprintf("%s sends the transcript only when the chat ends", c.Source)
	}
	if p.follow {
		p.top = len(p.lines)
	}
	p.clamp()
}

// bottom is the top line that shows the last line.
func (p *transcriptPane) bottom() int { return max(len(p.lines)-p.bodyHeight(), 0) }

func (p *transcriptPane) clamp() {
	p.top = min(max(p.top, 0), p.bottom())
}

// scroll moves by d lines: up stops following, back at the bottom follows
// again.
func (p *transcriptPane) scroll(d int) {
	p.top = max(p.top+d, 0)
	p.clamp()
	p.follow = p.top >= p.bottom()
}

func (p *transcriptPane) Update(msg tea.Msg) (bool, intent) {
	k := &p.Keys
	if d, ok := k.movement(msg, p.bodyHeight()); ok {
		if d != 0 {
			p.scroll(d)
		}
		return true, nil
	}
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, k.Filter):
			return true, askText{placeholder: "filter transcript", search: true}
		case key.Matches(msg, k.Search):
			return true, p.nextMatch()
		case key.Matches(msg, k.Copy):
			return true, p.copyTranscript()
		case key.Matches(msg, k.Back) && p.search != "":
			p.search = ""
		case key.Matches(msg, k.Back):
			return true, focusPane{id: "chats"}
		default:
			return false, nil
		}
		return true, nil
	}
	return false, nil
}

// copyTranscript copies the chat: its title, then a line a message with
// its time and speaker, unwrapped.
func (p *transcriptPane) copyTranscript() intent {
	if len(p.msgs) == 0 {
		return notice{text: "no transcript to copy", isErr: true}
	}
	var b strings.Builder
	b.WriteString(p.title + "\n")
	for _, l := range transcriptLines(board.Chat{Messages: p.msgs}, -1, p.Now.Location()) {
		b.WriteString(strings.TrimRight(l.text, " ") + "\n")
	}
	return copyText{text: b.String(), what: fmt.Sprintf("the transcript of chat %s (%d messages)", p.chat.ID, len(p.msgs))}
}

// Search sets the search text and scrolls to its next match.
func (p *transcriptPane) Search(s string) intent {
	p.search = s
	return p.nextMatch()
}

// nextMatch scrolls to the next line with the search text.
func (p *transcriptPane) nextMatch() intent {
	if p.search == "" {
		return nil
	}
	q := strings.ToLower(p.search)
	n := len(p.lines)
	for k := 1; k <= n; k++ {
		i := (p.top + k) % n
		if strings.Contains(strings.ToLower(p.lines[i].text), q) {
			p.top = i
			p.clamp()
			p.follow = false
			return nil
		}
	}
	return notice{text: "no match for " + p.search, isErr: true}
}

func (p *transcriptPane) View() string {
	t := &p.Theme
	title := t.Bold.Render(p.title)
	if pos := p.position(); pos != "" {
		room := p.Width - lipgloss.Width(pos) - 2
		title = fit(title, max(room, 0)) + "  " + t.Dim.Render(pos)
	}
	out := []string{title}
	if p.note != "" {
		out = append(out, t.Dim.Render("  "+p.note))
	}
	q := strings.ToLower(p.search)
	end := min(p.top+p.bodyHeight(), len(p.lines))
	for _, l := range p.lines[min(p.top, end):end] {
		s := l.styled(t)
		if q != "" && strings.Contains(strings.ToLower(l.text), q) {
			s = t.Selected.Render(l.text)
		}
		out = append(out, s)
	}
	if len(p.lines) == 0 && p.chat.ID != "" {
		out = append(out, t.Dim.Render("  no messages yet"))
	}
	return strings.Join(padLines(out, p.Width, p.Height), "\n")
}

// searchKey is the filter key, which searches here.
func (p *transcriptPane) searchKey() key.Binding {
	return renamed(p.Keys.Filter, "search")
}

func (p *transcriptPane) ShortHelp() []key.Binding {
	k := &p.Keys
	return []key.Binding{p.searchKey(), k.Search, k.Copy, k.Back}
}

func (p *transcriptPane) FullHelp() [][]key.Binding {
	k := &p.Keys
	return [][]key.Binding{{k.Up, k.Down, k.Top, k.Bottom, k.PageUp, k.PageDown}, {p.searchKey(), k.Search, k.Copy, k.Back}}
}

func transcriptTitle(c board.Chat, b *board.Board) string {
	agents := make([]string, 0, len(c.Agents))
	for _, a := range c.Agents {
		agents = append(agents, nameOr(a.Name, b.AgentName(c.Source, a.ID)))
	}
	title := fmt.Sprintf("%s chat %s · %s · %s", c.Source, c.ID, nameOr(c.Visitor.Name, c.Visitor.Key()), c.State)
	if len(agents) > 0 {
		title += " · with " + strings.Join(agents, ", ")
	}
	if c.Department != "" {
		title += " · " + c.Department
	}
	if c.Rating != nil && c.Rating.Value != "" {
		title += " · rated " + c.Rating.Value
	}
	return title
}

// transcriptLines renders a chat's messages, wrapped to width (unwrapped
// if width < 0), each line
// with its speaker and time.
func transcriptLines(c board.Chat, width int, loc *time.Location) []line {
	var out []line
	for _, msg := range c.Messages {
		clock := msg.Clock
		if !msg.At.IsZero() {
			clock = msg.At.In(loc).Format("15:04:05")
		}
		who := msg.Name
		if who == "" {
			who = string(msg.From)
		}
		prefix := fmt.Sprintf("[%8s] %s: ", clock, who)
		if msg.From == event.FromSystem {
			prefix = fmt.Sprintf("[%8s] ", clock)
		}
		text := msg.Text
		if text == "" {
			text = "(no text)"
		}
		wrapped := prefix + text
		if width >= 0 {
			wrapped = ansi.Wordwrap(wrapped, max(width-2, 20), " ")
		}
		for i, l := range strings.Split(wrapped, "\n") {
			if i > 0 {
				l = strings.Repeat(" ", 11) + l
			}
			out = append(out, line{text: l, from: msg.From})
		}
	}
	return out
}
