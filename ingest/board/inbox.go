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
	// InboxIncomplete is a chat event that names neither its chat nor its
	// visitor: kept, but not placeable on the board.
	InboxIncomplete InboxType = "incomplete"
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

func (o OfflineItem) when() time.Time { return o.At }

func (i InboxItem) when() time.Time { return i.At }

func (b *Board) offlineMessage(ev *event.Event) {
	item := OfflineItem{Source: ev.Source, At: place(ev)}
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
//
// It costs what it removes, not what the board holds: the ended list is
// trimmed from its oldest end, silent chats and old ended chats are found at
// the old ends of the state groups, and histories by when they expire.
func (b *Board) prune(now time.Time) {
	b.pruneEnded(now)
	var stale []*Chat
	for _, g := range []int8{0, 1} {
		b.byState[g].each(0, func(e chatEntry) bool {
			c := e.c
			if now.Sub(c.UpdatedAt) <= b.cfg.StaleAfter {
				return false
			}
			if c.State == Waiting || c.State == Active {
				stale = append(stale, c)
			}
			return true
		})
	}
	for _, c := range stale {
		// A visitor left waiting this long with no word from the vendor
		// did not get an answer: abandoned, with the wait unknown.
		if c.State == Waiting && c.tally.arrived && c.tally.outcome == noOutcome && !c.FromPoll {
			b.countOutcome(c, abandonedOutcome, now, outcome{abandoned: 1})
		}
		b.drop(c)
	}
	b.expireHistory(now)
	keep := now.Add(-48*time.Hour - b.cfg.Window)
	b.outcomes.prune(keep)
	b.pruneAgentHistory(keep)
	for d, l := range b.deptOutcomes {
		if l.prune(keep); len(l.log) == 0 {
			delete(b.deptOutcomes, d)
		}
	}
}
