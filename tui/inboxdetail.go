package tui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/chatdeck/chatdeck/ingest/event"
)

// inboxEmail is the visitor's email on an inbox item, if it carries one.
func inboxEmail(r *inboxRow) string {
	if r.Item.IsOffline {
		return r.Item.Offline.Email
	}
	return ""
}

// inboxText is the item's whole message: an offline message's subject and
// text, an inbox entry's text (with a rating's comment).
func inboxText(r *inboxRow) string {
	if o := &r.Item.Offline; r.Item.IsOffline {
		if o.Subject != "" {
			return o.Subject + "\n\n" + o.Text
		}
		return o.Text
	}
	i := &r.Item.Inbox
	text := i.Text
	if i.Rating != nil && i.Rating.Comment != "" && !strings.Contains(text, i.Rating.Comment) {
		text = strings.TrimSpace(text + "\n" + i.Rating.Comment)
	}
	return text
}

// detailLines draws the selected item in full in w cells: who, how to
// reach them, when, where, then the whole message wrapped.
func (p *inboxPane) detailLines(w int) []string {
	r, ok := p.Selected()
	if !ok {
		return nil
	}
	t := &p.Theme
	dl := &detailLines{w: w}
	add, wrap := dl.add, dl.wrap
	// A field's value wraps under itself, right of its name.
	field := func(name, value string) {
		if value == "" {
			return
		}
		const label = 12
		if w < 2*label {
			wrap(t.Dim.Render(cell(name, label)) + value)
			return
		}
		for i, l := range strings.Split(ansi.Wrap(value, w-label, " "), "\n") {
			if i == 0 {
				add(t.Dim.Render(cell(name, label)) + l)
			} else {
				add(strings.Repeat(" ", label) + l)
			}
		}
	}
	what := r.Type
	if r.Item.IsOffline {
		what = "offline message"
	}
	add(t.Title.Render(strings.ToUpper(what[:1])+what[1:]) + " from " + t.Bold.Render(nameOr(r.Who, "an unknown visitor")))
	add("")
	field("Date", r.At.In(p.Now.Location()).Format("Mon 2 Jan 2006 15:04:05 MST"))
	field("Source", string(r.Source))
	if o := &r.Item.Offline; r.Item.IsOffline {
		field("Name", o.Name)
		field("Email", o.Email)
		field("Phone", o.Phone)
		field("Department", o.Department)
		field("Visitor", o.VisitorID)
		field("Subject", o.Subject)
		names := make([]string, 0, len(o.Attachments))
		for _, a := range o.Attachments {
			names = append(names, nameOr(a.Name, a.URL))
		}
		field("Attachments", strings.Join(names, ", "))
	} else {
		i := &r.Item.Inbox
		field("Visitor", i.Visitor)
		field("Chat", i.ChatID)
		field("Event", i.VendorEvent)
		if i.Rating != nil {
			field("Rating", strings.TrimSpace(i.Rating.Value+" "+ratingWord(i.Rating)))
		}
	}
	add("")
	text := inboxText(r)
	if text == "" {
		add(t.Dim.Render("(no text)"))
	}
	for _, para := range strings.Split(text, "\n") {
		wrap(para)
	}
	return dl.out
}

// ratingWord is a rating's sentiment in words, "" when neutral or unknown.
func ratingWord(r *event.Rating) string {
	if s := sentiment(r.Sentiment); s != "" {
		return "(" + s + ")"
	}
	return ""
}
