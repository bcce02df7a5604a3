package comm100api

import (
	"encoding/json"
	"strconv"
	"strings"
)

// AgentStatus is an agent's live-chat status (GET livechat/agents).
type AgentStatus struct {
	ID           string `json:"id"`
	Status       string `json:"status"` // capitalised on GET: "Online", "Away", "Meeting"
	OngoingChats int    `json:"ongoingChats"`
}

// AgentInfo is an agent's directory entry (GET global/agents): the names
// that livechat/agents does not carry.
type AgentInfo struct {
	ID          string `json:"id"`
	Email       string `json:"email"`
	DisplayName string `json:"displayName"`
	FirstName   string `json:"firstName"`
	LastName    string `json:"lastName"`
	IsActive    bool   `json:"isActive"`
}

// Name is the display name, else first and last name, else the email.
func (a AgentInfo) Name() string {
	if a.DisplayName != "" {
		return a.DisplayName
	}
	if n := strings.TrimSpace(a.FirstName + " " + a.LastName); n != "" {
		return n
	}
	return a.Email
}

// FieldValue is a custom field or custom variable of a visitor.
type FieldValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	URL   string `json:"url"`
}

// Visitor is a visitor as the API returns it; every field of the spec.
type Visitor struct {
	ID                    string       `json:"id"`
	Status                string       `json:"status"` // "waitingForChat", "chatting", ...
	Name                  string       `json:"name"`
	Email                 string       `json:"email"`
	Phone                 string       `json:"phone"`
	Company               string       `json:"company"`
	Browser               string       `json:"browser"`
	OperatingSystem       string       `json:"operatingSystem"`
	ScreenResolution      string       `json:"screenResolution"`
	Language              string       `json:"language"`
	IP                    string       `json:"ip"`
	Country               string       `json:"country"`
	State                 string       `json:"state"`
	City                  string       `json:"city"`
	TimeZone              string       `json:"timeZone"`
	VisitTime             string       `json:"visitTime"`
	FirstVisitTime        string       `json:"firstVisitTime"`
	Visits                Int          `json:"visits"`
	Chats                 Int          `json:"chats"`
	PageViews             Int          `json:"pageViews"`
	CurrentBrowsing       string       `json:"currentBrowsing"`
	ReferrerURL           string       `json:"referrerUrl"`
	ProductService        string       `json:"productService"`
	DepartmentID          string       `json:"departmentId"`
	SearchEngine          string       `json:"searchEngine"`
	SearchKeywords        string       `json:"searchKeywords"`
	LandingPage           string       `json:"landingPage"`
	FlashVersion          string       `json:"flashVersion"`
	CustomFields          []FieldValue `json:"customFields"`
	CustomVariableResults []FieldValue `json:"customVariableResults"`
}

// Int is an integer that the API may send as a number or a string.
type Int int

// UnmarshalJSON accepts 3, "3", null and "".
func (n *Int) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*n = 0
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return err
	}
	*n = Int(v)
	return nil
}

// AwayStatus is a custom away status a site has (GET global/agentAwayStatuses).
type AwayStatus struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	IsEnabled bool   `json:"isEnabled"`
}

// UnmarshalJSON also accepts a bare name, as some accounts answer.
func (a *AwayStatus) UnmarshalJSON(b []byte) error {
	var name string
	if json.Unmarshal(b, &name) == nil {
		*a = AwayStatus{Name: name, IsEnabled: true}
		return nil
	}
	type plain AwayStatus
	p := plain{IsEnabled: true}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*a = AwayStatus(p)
	return nil
}

// Department is a department (GET global/departments).
type Department struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Webhook is a webhook registration (livechat/webhooks).
type Webhook struct {
	ID        string `json:"id,omitempty"`
	Event     string `json:"event"`
	TargetURL string `json:"targetUrl"`
}
