package decode

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/chatdeck/chatdeck/ingest/event"
)

// ChatlioKinds maps the Chatlio webhook kinds (the last part of the route)
// to event kinds. Chatlio payloads carry no type: the URL says which arrived.
var ChatlioKinds = map[string]event.Kind{
	"conversation-started": event.ChatRequested,
	"unanswered":           event.VisitorUnanswered,
	"feedback":             event.Feedback,
	"offline-message":      event.OfflineMessage,
	"transcript":           event.ChatEnded,
}

func decodeChatlio(c *collector, kind event.Kind, hint string, root node) event.Event {
	ev := event.Event{Kind: kind, VendorEvent: hint}
	vn, hasVisitor := c.o(root, "visitor")
	v := &event.Visitor{}
	if hasVisitor {
		v = chatlioVisitor(c, vn)
	}
	ev.Visitor = v
	ev.ChatID = c.s(root, "conversationUUID", "conversationId", "channelId", "slackChannelId")
	if ev.ChatID == "" {
		ev.ChatID = v.ID
	}
	switch kind {
	case event.ChatRequested, event.VisitorUnanswered:
		if text := c.s(root, "message"); text != "" {
			ev.Messages = []event.Message{{From: event.FromVisitor, Name: v.Name, Text: text}}
		}
	case event.Feedback:
		rating := c.s(root, "chatRating", "rating")
		ev.Rating = &event.Rating{Value: rating, Sentiment: chatlioSentiment(rating), Comment: c.s(root, "message", "chatFeedback", "feedback")}
	case event.OfflineMessage:
		ev.Offline = &event.Offline{
			Name:  c.s(root, "name"),
			Email: c.s(root, "email"),
			Text:  c.s(root, "message"),
		}
		if v.Name == "" {
			v.Name = ev.Offline.Name
		}
		if v.Email == "" {
			v.Email = ev.Offline.Email
		}
	case event.ChatEnded:
		chatlioTranscript(c, root, &ev)
		if ev.Chat.EndedAt.IsZero() && ev.Rating == nil && root.has("messages") {
			// A transcript sent mid-chat (Chatlio's /chatlio send-to-webhook)
			// has no end and no rating yet: the chat goes on, with these
			// messages so far.
			ev.Kind = event.ChatUpdated
		}
	}
	if ev.ChatID == "" && kind != event.OfflineMessage {
		c.note("conversationUUID: missing: no conversationUUID, channelId or visitor.UUID to tell the chat by")
	}
	return ev
}

func chatlioVisitor(c *collector, n node) *event.Visitor {
	v := &event.Visitor{
		ID:          c.s(n, "UUID", "uuid", "id"),
		Name:        c.s(n, "name"),
		Email:       c.s(n, "email"),
		Browser:     c.s(n, "userAgent"),
		CurrentPage: c.s(n, "currentPage"),
		Referrer:    c.s(n, "referrerURL", "referrerUrl"),
		IP:          c.s(n, "IPAddress", "ipAddress"),
		Location:    c.s(n, "location"),
		FirstVisit:  c.t(n, "createdAt"),
	}
	if v.Name == "" {
		v.Name = c.s(n, "handle")
	}
	if id := c.s(n, "identUserId"); id != "" {
		v.Fields = append(v.Fields, event.Field{Name: "identUserId", Value: id})
	}
	v.Fields = append(v.Fields, traits(c, n, "identTraits")...)
	return v
}

// traits reads Chatlio traits: an object, or an object encoded as a JSON
// string (identTraits). A string that is not an object is kept as one field.
func traits(c *collector, n node, key string) []event.Field {
	raw, _, ok := n.raw(key)
	if !ok {
		return nil
	}
	if s, err := scalarString(raw); err == nil {
		s = strings.TrimSpace(s)
		if s == "" {
			return nil
		}
		raw = json.RawMessage(s)
		if !json.Valid(raw) || s[0] != '{' {
			return []event.Field{{Name: key, Value: s}}
		}
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		c.keep(&Error{Field: n.field(key), Msg: "expected an object or a JSON-encoded object"})
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]event.Field, 0, len(keys))
	for _, k := range keys {
		val, err := scalarString(m[k])
		if err != nil || isNull(m[k]) {
			val = string(m[k])
		}
		out = append(out, event.Field{Name: k, Value: val})
	}
	return out
}

func chatlioTranscript(c *collector, root node, ev *event.Event) {
	info := &event.ChatInfo{
		StartedAt:  c.t(root, "startedAt"),
		EndedAt:    c.t(root, "endedAt"),
		ArchiveURL: c.s(root, "archiveUrl", "archiveURL"),
		Tags:       c.ss(root, "extraData"),
	}
	ev.Chat = info
	ev.OccurredAt = info.EndedAt
	agent := event.Agent{Name: c.s(root, "agentName"), Email: c.s(root, "agentEmail")}
	msgs := c.l(root, "messages")
	if len(msgs) > 0 {
		ev.Messages = make([]event.Message, 0, len(msgs))
	}
	for _, m := range msgs {
		msg := event.Message{
			Name:   c.s(m, "username"),
			UserID: c.s(m, "userId"),
			Text:   c.s(m, "text"),
			At:     c.t(m, "sentAt"),
		}
		if msg.At.IsZero() {
			msg.At = c.t(m, "ts")
		}
		msg.From = event.FromAgent
		if c.b(m, "isVisitorMsg") {
			msg.From = event.FromVisitor
		}
		if msg.From == event.FromAgent && agent.ID == "" && msg.UserID != "" {
			agent.ID = msg.UserID
		}
		ev.Messages = append(ev.Messages, msg)
	}
	if agent.ID == "" {
		agent.ID = agent.Email
	}
	if agent.ID == "" {
		agent.ID = agent.Name
	}
	if agent.ID != "" {
		ev.Agents = []event.Agent{agent}
	}
	if rating := c.s(root, "chatRating"); rating != "" || c.s(root, "chatFeedback") != "" {
		ev.Rating = &event.Rating{Value: rating, Sentiment: chatlioSentiment(rating), Comment: c.s(root, "chatFeedback")}
	}
	v := ev.Visitor
	if name := c.s(root, "visitorName"); v.Name == "" {
		v.Name = name
	}
	if email := c.s(root, "visitorEmail"); v.Email == "" {
		v.Email = email
	}
	v.Variables = append(v.Variables, traits(c, root, "visitorTraits")...)
}

func chatlioSentiment(r string) event.Sentiment {
	switch strings.ToLower(strings.TrimSpace(r)) {
	case "up", "good", "positive", "thumbsup", "+1":
		return event.Good
	case "down", "bad", "negative", "thumbsdown", "-1":
		return event.Bad
	}
	return ""
}
