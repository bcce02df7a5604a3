package board

import (
	"strconv"
	"time"

	"github.com/chatdeck/chatdeck/ingest/event"
)

// OfflineItem is an offline message.
type OfflineItem struct {
	Source      event.Source       `json:"source"`
	ID          string             `json:"id"`
	At          time.Time          `json:"at"`
	Name        string             `json:"name,omitempty"`
	Email       string             `json:"email,omitempty"`
	Phone       string             `json:"phone,omitempty"`
	Subject     string             `json:"subject,omitempty"`
	Text        string             `json:"text"`
	Department  string             `json:"department,omitempty"`
	VisitorID   string             `json:"visitor_id,omitempty"`
	Attachments []event.Attachment `json:"attachments,omitempty"`
}

// InboxType says what an inbox entry is.
type InboxType string

// Inbox entry types.
const (
	InboxFeedback     InboxType = "feedback"
	InboxUnanswered   InboxType = "unanswered"
	InboxCall         InboxType = "call"
	InboxUnrecognised InboxType = "unrecognised"
)

// InboxItem is something a supervisor should look at that is not a chat in
// progress: feedback, a visitor nobody answered in time, a call, or a
// payload no decoder knew.
type InboxItem struct {
	Type        InboxType     `json:"type"`
	Source      event.Source  `json:"source"`
	At          time.Time     `json:"at"`
	Seq         int64         `json:"cursor,omitempty,string"`
	ChatID      string        `json:"chat_id,omitempty"`
	Visitor     string        `json:"visitor,omitempty"`
	VendorEvent string        `json:"vendor_event,omitempty"`
	Text        string        `json:"text,omitempty"`
	Rating      *event.Rating `json:"rating,omitempty"`
}

func (b *Board) offlineMessage(ev *event.Event) {
	item := OfflineItem{Source: ev.Source, At: ev.ReceivedAt}
	if o := ev.Offline; o != nil {
		item.ID, item.Name, item.Email, item.Phone = o.ID, o.Name, o.Email, o.Phone
		item.Subject, item.Text, item.Attachments = o.Subject, o.Text, o.Attachments
	}
	if v := ev.Visitor; v != nil {
		item.VisitorID = v.Key()
		if item.Name == "" {
			item.Name = v.Name
		}
		if item.Email == "" {
			item.Email = v.Email
		}
	}
	if ev.Department != nil {
		item.Department = ev.Department.Label()
	}
	if item.ID == "" {
		item.ID = ev.ChatID
	}
	if item.ID == "" {
		item.ID = "cursor-" + strconv.FormatInt(ev.Seq, 10)
	}
	b.offline.push(item)
}

// prune forgets what the board no longer needs as of now: ended chats past
// KeepEnded or beyond MaxEnded, open chats silent for StaleAfter, history
// past KeepHistory, and metric outcomes older than any window can reach.
func (b *Board) prune(now time.Time) {
	keep := b.ended[:0]
	cut := len(b.ended) - b.cfg.MaxEnded
	for i, c := range b.ended {
		if b.chats[key{c.Source, c.ID}] != c || (c.State != Ended && c.State != Missed) {
			continue // dropped or reopened
		}
		if i < cut || now.Sub(c.UpdatedAt) > b.cfg.KeepEnded {
			delete(b.chats, key{c.Source, c.ID})
			continue
		}
		keep = append(keep, c)
	}
	clear(b.ended[len(keep):])
	b.ended = keep
	for _, c := range b.chats {
		if (c.State == Waiting || c.State == Active) && now.Sub(c.UpdatedAt) > b.cfg.StaleAfter {
			b.drop(c)
		}
	}
	for k, h := range b.history {
		if now.Sub(h.LastChatAt) > b.cfg.KeepHistory {
			delete(b.history, k)
		}
	}
	b.outcomes.prune(now.Add(-48*time.Hour - b.cfg.Window))
}
