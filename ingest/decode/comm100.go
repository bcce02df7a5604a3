package decode

import (
	"regexp"
	"strings"
	"time"

	"github.com/chatdeck/chatdeck/ingest/event"
)

// comm100Kinds maps Comm100 webhook event names (lower-cased) to kinds. The
// agent status events are named by the status itself.
var comm100Kinds = map[string]event.Kind{
	"chat_request":              event.ChatRequested,
	"chat_requested":            event.ChatRequested,
	"chat_started":              event.ChatStarted,
	"chat_transferred":          event.ChatTransferred,
	"chat_transfer":             event.ChatTransferred,
	"chat_ended":                event.ChatEnded,
	"chat_wrapped_up":           event.ChatWrappedUp,
	"chat_wraped_up":            event.ChatWrappedUp,
	"offline_message_submitted": event.OfflineMessage,
	"offline_message":           event.OfflineMessage,
	"online":                    event.AgentStatusChanged,
	"away":                      event.AgentStatusChanged,
	"login":                     event.AgentStatusChanged,
	"logout":                    event.AgentStatusChanged,
}

func decodeComm100(c *collector, root node) event.Event {
	name := c.s(root, "event", "Event", "event_name")
	ev := event.Event{VendorEvent: name}
	kind, known := comm100Kinds[strings.ToLower(strings.TrimSpace(name))]
	if !known && name != "" && root.has("operator_id") && !root.has("visitor") && !root.has("chat") {
		// A custom away status ("Meeting") names the event too.
		kind, known = event.AgentStatusChanged, true
	}
	if !known {
		ev.Kind = event.Unrecognised
		return ev
	}
	ev.Kind = kind

	if kind == event.AgentStatusChanged {
		a := event.Agent{
			ID:         c.s(root, "operator_id", "agent_id", "operatorId"),
			Name:       c.s(root, "operator_name", "display_name", "name"),
			Email:      c.s(root, "operator_email", "email"),
			Status:     AgentStatus(name),
			StatusName: name,
		}
		ev.OccurredAt = c.t(root, "time", "status_time", "timestamp")
		if a.ID == "" {
			c.note("operator_id: missing: a status event should name its agent")
		}
		ev.Agents = []event.Agent{a}
		return ev
	}

	if vn, ok := c.o(root, "visitor"); ok {
		ev.Visitor = comm100Visitor(c, vn)
	}
	chat, hasChat := c.o(root, "chat")
	if hasChat {
		comm100Chat(c, chat, &ev)
	}
	switch kind {
	case event.ChatWrappedUp:
		if wn, ok := c.o(root, "wrapup", "wrap_up"); ok {
			ev.WrapUp = comm100WrapUp(c, wn)
			ev.OccurredAt = ev.WrapUp.At
		}
	case event.OfflineMessage:
		if on, ok := c.o(root, "offline_message", "offlineMessage", "message"); ok {
			comm100Offline(c, on, &ev)
		}
	}
	if ev.ChatID == "" {
		ev.ChatID = c.s(root, "chat_id", "chatId")
	}
	if ev.ChatID == "" && ev.Visitor != nil {
		ev.ChatID = ev.Visitor.ChatID
	}
	if ev.Department == nil && ev.Visitor != nil {
		ev.Department = ev.Visitor.Department
	} else if ev.Department != nil && ev.Visitor != nil && ev.Visitor.Department != nil {
		merged := *ev.Department
		if merged.ID == "" {
			merged.ID = ev.Visitor.Department.ID
		}
		if merged.Name == "" {
			merged.Name = ev.Visitor.Department.Name
		}
		ev.Department = &merged
	}
	if ev.ChatID == "" && kind != event.OfflineMessage {
		c.note("chat.id: missing: no chat id in chat.id, visitor.chat_id or chat_id")
	}
	if ev.Chat != nil && ev.OccurredAt.IsZero() {
		ev.OccurredAt = comm100When(kind, ev.Chat)
	}
	return ev
}

// comm100When is the vendor's time for what a chat event says happened.
// The chat's start_time is when the visitor asked, so it is a request's
// time; an answer came waiting_time after it (unknown without it); an end
// is at end_time.
func comm100When(kind event.Kind, chat *event.ChatInfo) time.Time {
	switch {
	case chat.StartedAt.IsZero():
	case kind == event.ChatRequested:
		return chat.StartedAt
	case kind == event.ChatStarted && chat.HasWait:
		return chat.StartedAt.Add(chat.Wait)
	}
	if kind == event.ChatEnded {
		return chat.EndedAt
	}
	return time.Time{}
}

func comm100Visitor(c *collector, n node) *event.Visitor {
	v := &event.Visitor{
		ID:           c.s(n, "id", "visitor_id", "guid"),
		Name:         c.s(n, "name"),
		Email:        c.s(n, "email"),
		Phone:        c.s(n, "phone"),
		Company:      c.s(n, "company"),
		StatusName:   c.s(n, "status"),
		IP:           c.s(n, "ip"),
		Location:     joinNonEmpty(", ", c.s(n, "city"), c.s(n, "state"), c.s(n, "country")),
		Browser:      c.s(n, "browser"),
		OS:           c.s(n, "operating_system"),
		Language:     c.s(n, "language"),
		TimeZone:     c.s(n, "time_zone"),
		CurrentPage:  c.s(n, "current_browsing"),
		Referrer:     c.s(n, "referrer_url"),
		LandingPage:  c.s(n, "landing_page"),
		SearchEngine: c.s(n, "search_engine"),
		Keywords:     c.s(n, "keywords"),
		Visits:       c.i(n, "visits"),
		Chats:        c.i(n, "chats"),
		PageViews:    c.i(n, "page_views"),
		FirstVisit:   c.t(n, "first_visit_time"),
		VisitTime:    c.t(n, "visit_time"),
		ChatID:       c.s(n, "chat_id"),
		Department:   department(c.s(n, "department", "department_id")),
		Fields:       fields(c, n, "custom_fields", "customFields"),
		Variables:    fields(c, n, "custom_variables", "custom_variable", "customVariables"),
	}
	v.State = VisitorState(v.StatusName)
	return v
}

func comm100Chat(c *collector, n node, ev *event.Event) {
	info := &event.ChatInfo{
		StartedAt: c.t(n, "start_time", "started_at"),
		EndedAt:   c.t(n, "end_time", "ended_at"),
		Comment:   c.s(n, "operator_comment"),
	}
	if w := c.s(n, "waiting_time"); w != "" {
		info.Wait, info.HasWait = ParseWait(w)
	}
	for _, a := range c.l(n, "attachment", "attachments") {
		info.Attachments = append(info.Attachments, event.Attachment{Name: c.s(a, "name"), URL: c.s(a, "uri", "url")})
	}
	ev.Chat = info
	ev.ChatID = c.s(n, "id", "chat_id")
	if d := department(c.s(n, "department")); d != nil {
		ev.Department = d
	}
	ev.Agents = comm100Operators(c, n)
	if r := comm100Rating(c.s(n, "rating"), c.s(n, "rating_comment")); r != nil {
		ev.Rating = r
	}
	if wn, ok := c.o(n, "wrap_up", "wrapup"); ok {
		if w := comm100WrapUp(c, wn); w.Category != "" || w.Comment != "" || len(w.Fields) > 0 {
			ev.WrapUp = w
		}
	}
	if ev.Visitor == nil {
		ev.Visitor = &event.Visitor{}
	}
	if ev.Visitor.Name == "" {
		ev.Visitor.Name = c.s(n, "name")
	}
	if ev.Visitor.Email == "" {
		ev.Visitor.Email = c.s(n, "email")
	}
	if ev.Visitor.Phone == "" {
		ev.Visitor.Phone = c.s(n, "phone")
	}
	if vars := fields(c, n, "custom_variable", "custom_variables"); len(ev.Visitor.Variables) == 0 {
		ev.Visitor.Variables = vars
	}
	if t := c.s(n, "chat_transcript", "transcript"); t != "" {
		names := make([]string, 0, len(ev.Agents))
		for _, a := range ev.Agents {
			names = append(names, a.Name)
		}
		ev.Messages = ParseTranscript(t, info.StartedAt, info.EndedAt, ev.Visitor.Name, names)
	}
}

// comm100Operators reads chat.operators: an array of objects, or (as one
// page of the documentation describes it) names separated by commas.
func comm100Operators(c *collector, n node) []event.Agent {
	raw, _, ok := n.raw("operators", "operator", "agents")
	if !ok {
		return nil
	}
	if raw[0] == '"' { // a string of names; other scalars are bad types
		s, _ := scalarString(raw)
		var out []event.Agent
		for _, name := range strings.Split(s, ",") {
			if name = strings.TrimSpace(name); name != "" {
				out = append(out, event.Agent{Name: name})
			}
		}
		return out
	}
	var out []event.Agent
	for _, o := range c.l(n, "operators", "operator", "agents") {
		out = append(out, event.Agent{
			ID:    c.s(o, "id", "operator_id"),
			Name:  c.s(o, "display_name", "name"),
			Email: c.s(o, "email"),
		})
	}
	return out
}

func comm100Rating(value, comment string) *event.Rating {
	v := strings.TrimSpace(value)
	if (v == "" || v == "-1" || v == "0") && comment == "" {
		return nil
	}
	r := &event.Rating{Value: v, Comment: comment}
	switch strings.ToLower(v) {
	case "5", "4", "good", "positive":
		r.Sentiment = event.Good
	case "3":
		r.Sentiment = event.Neutral
	case "2", "1", "bad", "negative":
		r.Sentiment = event.Bad
	}
	return r
}

func comm100WrapUp(c *collector, n node) *event.WrapUp {
	return &event.WrapUp{
		Category: c.s(n, "category"),
		Comment:  c.s(n, "comment"),
		Fields:   fields(c, n, "fields"),
		At:       c.t(n, "time"),
	}
}

func comm100Offline(c *collector, n node, ev *event.Event) {
	o := &event.Offline{
		ID:      c.s(n, "id"),
		Name:    c.s(n, "name"),
		Email:   c.s(n, "email"),
		Phone:   c.s(n, "phone"),
		Subject: c.s(n, "subject"),
		Text:    c.s(n, "content", "message", "text"),
	}
	for _, a := range c.l(n, "attachment", "attachments") {
		o.Attachments = append(o.Attachments, event.Attachment{Name: c.s(a, "name"), URL: c.s(a, "uri", "url")})
	}
	ev.Offline = o
	ev.OccurredAt = c.t(n, "time", "submit_time", "created_time")
	if d := department(c.s(n, "department")); d != nil {
		ev.Department = d
	}
	if ev.Visitor == nil {
		ev.Visitor = &event.Visitor{ID: c.s(n, "visitor_id"), Name: o.Name, Email: o.Email, Phone: o.Phone, Company: c.s(n, "company")}
		ev.Visitor.Fields = fields(c, n, "custom_fields")
	}
}

// fields reads custom fields or variables: {id|field_id, name, value, url}.
func fields(c *collector, n node, keys ...string) []event.Field {
	var out []event.Field
	for _, f := range c.l(n, keys...) {
		out = append(out, event.Field{
			ID:    c.s(f, "id", "field_id", "fieldId"),
			Name:  c.s(f, "name", "title", "key"),
			Value: c.s(f, "value", "content"),
			URL:   c.s(f, "url"),
		})
	}
	return out
}

var guidRE = regexp.MustCompile(`^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$`)

// department reads a department given as a GUID, an integer or a name.
func department(s string) *event.Department {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	if guidRE.MatchString(s) || isDigits(s) {
		return &event.Department{ID: strings.Trim(s, "{}")}
	}
	return &event.Department{Name: s}
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func joinNonEmpty(sep string, parts ...string) string {
	out := parts[:0:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}
