package decode

import (
	"strings"

	"github.com/chatdeck/chatdeck/ingest/event"
)

// jivoKinds maps JivoChat event_name values to kinds.
var jivoKinds = map[string]event.Kind{
	"chat_accepted":            event.ChatAccepted,
	"chat_assigned":            event.ChatAssigned,
	"chat_updated":             event.ChatUpdated,
	"chat_finished":            event.ChatEnded,
	"offline_message":          event.OfflineMessage,
	"offline_messages":         event.OfflineMessage,
	"call_event":               event.CallEvent,
	"client_updated":           event.VisitorUpdated,
	"client_attribute_updated": event.VisitorUpdated,
}

func decodeJivo(c *collector, root node) event.Event {
	name := c.s(root, "event_name", "event")
	ev := event.Event{VendorEvent: name}
	kind, ok := jivoKinds[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		ev.Kind = event.Unrecognised
		return ev
	}
	ev.Kind = kind
	ev.ChatID = c.s(root, "chat_id")
	v := &event.Visitor{}
	if vn, ok := c.o(root, "visitor", "client"); ok {
		v = &event.Visitor{
			Number:      c.s(vn, "number", "id"),
			Name:        c.s(vn, "name"),
			Email:       c.s(vn, "email"),
			Phone:       c.s(vn, "phone"),
			Description: c.s(vn, "description"),
			Chats:       c.i(vn, "chats_count"),
		}
	}
	v.UserToken = c.s(root, "user_token")
	switch {
	case v.Number != "":
		v.ID = v.Number
	case v.UserToken != "":
		v.ID = "token:" + v.UserToken
	}
	if sn, ok := c.o(root, "session"); ok {
		v.IP = c.s(sn, "ip_addr")
		v.Browser = c.s(sn, "user_agent")
		if g, ok := c.o(sn, "geoip"); ok {
			v.Location = joinNonEmpty(", ", c.s(g, "city"), c.s(g, "region"), c.s(g, "country"))
		}
	}
	if pn, ok := c.o(root, "page"); ok {
		v.CurrentPage = c.s(pn, "url")
	}
	ev.Visitor = v
	if dn, ok := c.o(root, "department"); ok {
		d := &event.Department{ID: c.s(dn, "id"), Name: c.s(dn, "name")}
		if d.ID != "" || d.Name != "" {
			ev.Department = d
			v.Department = d
		}
	}
	if an, ok := c.o(root, "agent"); ok {
		ev.Agents = append(ev.Agents, jivoAgent(c, an))
	}
	for _, an := range c.l(root, "agents") {
		ev.Agents = append(ev.Agents, jivoAgent(c, an))
	}
	switch kind {
	case event.ChatEnded:
		info := &event.ChatInfo{}
		ev.Chat = info
		if cn, ok := c.o(root, "chat"); ok {
			info.Blacklisted = c.b(cn, "blacklisted")
			names := make(map[string]string, len(ev.Agents))
			for _, a := range ev.Agents {
				names[a.ID] = a.Name
			}
			for _, m := range c.l(cn, "messages") {
				msg := event.Message{
					At:     c.t(m, "timestamp"),
					Text:   c.s(m, "message", "text"),
					UserID: c.s(m, "agent_id"),
					From:   event.FromVisitor,
				}
				if strings.EqualFold(c.s(m, "type"), "agent") {
					msg.From = event.FromAgent
					msg.Name = names[msg.UserID]
				} else {
					msg.Name = v.Name
				}
				ev.Messages = append(ev.Messages, msg)
			}
			if rate := c.s(cn, "rate"); rate != "" {
				r := &event.Rating{Value: rate}
				switch strings.ToLower(rate) {
				case "positive", "good":
					r.Sentiment = event.Good
				case "negative", "bad":
					r.Sentiment = event.Bad
				}
				ev.Rating = r
			}
		}
		if n := len(ev.Messages); n > 0 {
			info.StartedAt, info.EndedAt = ev.Messages[0].At, ev.Messages[n-1].At
		}
		ev.OccurredAt = info.EndedAt
	case event.OfflineMessage:
		ev.Offline = &event.Offline{
			ID:    c.s(root, "offline_message_id"),
			Name:  v.Name,
			Email: v.Email,
			Phone: v.Phone,
			Text:  c.s(root, "message"),
		}
	case event.CallEvent:
		if cn, ok := c.o(root, "call"); ok {
			ev.Call = &event.Call{
				Type:      c.s(cn, "type"),
				Phone:     c.s(cn, "phone"),
				Status:    c.s(cn, "status"),
				Reason:    c.s(cn, "reason"),
				RecordURL: c.s(cn, "record_url"),
			}
		}
	case event.ChatAssigned:
		if link := c.s(root, "assign_to"); link != "" {
			ev.Chat = &event.ChatInfo{ArchiveURL: link}
		}
	}
	if ev.ChatID == "" && (kind == event.ChatAccepted || kind == event.ChatEnded || kind == event.ChatAssigned || kind == event.ChatUpdated) {
		c.note("chat_id: missing: a chat event should name its chat")
	}
	return ev
}

func jivoAgent(c *collector, n node) event.Agent {
	return event.Agent{
		ID:    c.s(n, "id"),
		Name:  c.s(n, "name"),
		Email: c.s(n, "email"),
		Phone: c.s(n, "phone"),
	}
}
