package comm100test

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Agent is an agent of the fake site. The live-chat endpoint
// (livechat/agents) shows its ID, Status and OngoingChats; the directory
// endpoint (global/agents) shows its ID and names.
type Agent struct {
	// ID is the agent's GUID. Lookups compare it case-insensitively.
	ID string `json:"id"`
	// Email is the agent's login email (global/agents).
	Email string `json:"email"`
	// DisplayName is the name shown to visitors (global/agents).
	DisplayName string `json:"displayName"`
	// FirstName is the agent's first name (global/agents).
	FirstName string `json:"firstName"`
	// LastName is the agent's last name (global/agents).
	LastName string `json:"lastName"`
	// Status is the status as the API returns it: "Online", "Away",
	// "Offline" or the name of an enabled custom away status ("Meeting").
	Status string `json:"status"`
	// OngoingChats is the agent's number of ongoing chats.
	OngoingChats int `json:"ongoingChats"`
}

// Department is a department of the fake site (global/departments).
type Department struct {
	// ID is the department's GUID.
	ID string `json:"id"`
	// Name is the department's name.
	Name string `json:"name"`
}

// FieldValue is one custom field or custom variable of a visitor
// (the API's FieldAndValue).
type FieldValue struct {
	// Name is the field's or variable's name.
	Name string `json:"name"`
	// Value is its value.
	Value string `json:"value"`
	// URL is its URL, often empty.
	URL string `json:"url"`
}

// Webhook is a webhook registration (livechat/webhooks).
type Webhook struct {
	// ID is the registration's GUID, assigned by the server.
	ID string `json:"id"`
	// Event is the event name, e.g. "chatStarts".
	Event string `json:"event"`
	// TargetURL is the URL the event is posted to.
	TargetURL string `json:"targetUrl"`
}

// Visitor is a visitor as livechat/visitors returns it: every field of the
// API's visitor object, with the API's camelCase keys. VisitTime and
// FirstVisitTime travel as RFC 3339 UTC with milliseconds, like the
// documentation's "2021-05-26T10:30:16.036Z"; see MarshalJSON.
type Visitor struct {
	// ID is the visitor's GUID. Lookups compare it case-insensitively.
	ID string `json:"id"`
	// Status is the API's status name: "waitingForChat", "voiceChatting",
	// "chatting", "preChat", "manuallyInvited", "autoInvited",
	// "offlineMessage", "refusedByOperator", "refusedByVisitor",
	// "chatEnded", "inSite", "outOfSite", "transferring",
	// "manuallyInvitedByWindow" or "systemProcessing".
	Status string `json:"status"`
	// Name is the visitor's name (the API uses the IP when unknown).
	Name string `json:"name"`
	// Email is the visitor's email.
	Email string `json:"email"`
	// Phone is the visitor's phone number.
	Phone string `json:"phone"`
	// Company is the visitor's company.
	Company string `json:"company"`
	// Browser is the visitor's browser, e.g. "Google Chrome 86.0.4240.75".
	Browser string `json:"browser"`
	// OperatingSystem is the visitor's operating system.
	OperatingSystem string `json:"operatingSystem"`
	// ScreenResolution is e.g. "1680x1050".
	ScreenResolution string `json:"screenResolution"`
	// Language is the browser language, e.g. "en-US".
	Language string `json:"language"`
	// IP is the visitor's IP address.
	IP string `json:"ip"`
	// Country is the visitor's country.
	Country string `json:"country"`
	// State is the visitor's state or province.
	State string `json:"state"`
	// City is the visitor's city.
	City string `json:"city"`
	// TimeZone is e.g. "GMT +08:00".
	TimeZone string `json:"timeZone"`
	// VisitTime is when the current visit began.
	VisitTime time.Time `json:"visitTime"`
	// FirstVisitTime is when the visitor first visited.
	FirstVisitTime time.Time `json:"firstVisitTime"`
	// Visits is the visitor's visit count.
	Visits int `json:"visits"`
	// Chats is the visitor's chat count.
	Chats int `json:"chats"`
	// PageViews is the visitor's page view count.
	PageViews int `json:"pageViews"`
	// CurrentBrowsing is the URL the visitor is on.
	CurrentBrowsing string `json:"currentBrowsing"`
	// ReferrerURL is the referrer of the visit.
	ReferrerURL string `json:"referrerUrl"`
	// ProductService is the product or service the visitor chose.
	ProductService string `json:"productService"`
	// DepartmentID is the GUID of the visit's department (all zeros for none).
	DepartmentID string `json:"departmentId"`
	// SearchEngine is the search engine the visitor came from.
	SearchEngine string `json:"searchEngine"`
	// SearchKeywords are the search keywords the visitor used.
	SearchKeywords string `json:"searchKeywords"`
	// LandingPage is the first page of the visit.
	LandingPage string `json:"landingPage"`
	// FlashVersion is the visitor's Flash version (usually empty).
	FlashVersion string `json:"flashVersion"`
	// CustomFields are the visitor's custom fields.
	CustomFields []FieldValue `json:"customFields"`
	// CustomVariableResults are the visitor's custom variables, set by
	// PUT livechat/visitors/{id}.
	CustomVariableResults []FieldValue `json:"customVariableResults"`
}

// TimeLayout is the layout of the visitor times on the wire: RFC 3339 in
// UTC with exactly three fractional digits, as in the documentation's
// "2021-05-26T10:30:16.036Z".
const TimeLayout = "2006-01-02T15:04:05.000Z"

type visitorFields Visitor

// visitorWire shadows the two time fields of Visitor with strings, so that
// they can be formatted with TimeLayout; the shallower fields win in
// encoding/json.
type visitorWire struct {
	visitorFields
	VisitTime      string `json:"visitTime"`
	FirstVisitTime string `json:"firstVisitTime"`
}

// MarshalJSON encodes v as the API does: times in TimeLayout, and empty
// customFields and customVariableResults as [] (never null).
func (v Visitor) MarshalJSON() ([]byte, error) {
	w := visitorWire{
		visitorFields:  visitorFields(v),
		VisitTime:      v.VisitTime.UTC().Format(TimeLayout),
		FirstVisitTime: v.FirstVisitTime.UTC().Format(TimeLayout),
	}
	if w.CustomFields == nil {
		w.CustomFields = []FieldValue{}
	}
	if w.CustomVariableResults == nil {
		w.CustomVariableResults = []FieldValue{}
	}
	return json.Marshal(w)
}

// UnmarshalJSON decodes a visitor object. Times may be RFC 3339 with any
// number of fractional digits, or lack a zone (read as UTC); null or ""
// leaves a zero time.
func (v *Visitor) UnmarshalJSON(b []byte) error {
	var w visitorWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	vt, err := parseTime(w.VisitTime)
	if err != nil {
		return fmt.Errorf("visitTime: %w", err)
	}
	ft, err := parseTime(w.FirstVisitTime)
	if err != nil {
		return fmt.Errorf("firstVisitTime: %w", err)
	}
	*v = Visitor(w.visitorFields)
	v.VisitTime, v.FirstVisitTime = vt, ft
	return nil
}

func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.Parse("2006-01-02T15:04:05.999999999", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad time %q", s)
	}
	return t.UTC(), nil
}

func cloneVisitor(v Visitor) Visitor {
	v.CustomFields = append([]FieldValue(nil), v.CustomFields...)
	v.CustomVariableResults = append([]FieldValue(nil), v.CustomVariableResults...)
	return v
}
