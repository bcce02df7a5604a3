package comm100test

import "time"

// Seed is the initial data of a Server.
type Seed struct {
	// Agents are the site's agents, in the order the API lists them.
	Agents []Agent
	// Visitors are the visitors on the site, in the order the API lists them.
	Visitors []Visitor
	// AwayStatuses are the names of the custom away statuses enabled on the
	// site, e.g. "Meeting", "Lunch". PUT livechat/agents/{id} accepts them in
	// any case; GET returns them spelled as here.
	AwayStatuses []string
	// Departments are the site's departments.
	Departments []Department
}

// NoDepartment is the all-zero GUID the API sends as departmentId for a
// visit without a department.
const NoDepartment = "00000000-0000-0000-0000-000000000000"

// Demo department ids, as DemoSeed uses them.
const (
	DemoDeptSales     = "cdfd8a7d-0477-4270-9429-8fc44f693484" // Sales
	DemoDeptSupport   = "1f37b1cd-f54b-4122-b22c-1d574fe92f76" // Support
	DemoDeptBilling   = "efd84948-4ef2-4ac4-9286-9bfebf1d2b77" // Billing
	DemoDeptTechnical = "7cbcc49d-b9cf-4bfc-9b80-fc54ecc18791" // Technical
)

// DemoSeed returns a realistic seed with visit times relative to the
// current time; see DemoSeedAt.
func DemoSeed() Seed { return DemoSeedAt(time.Now()) }

// DemoSeedAt returns a realistic seed whose visit times are relative to now:
// eight agents (three "Online", one "Away", one "Meeting", one "Lunch", two
// "Offline"), the departments Sales, Support, Billing and Technical (ids
// DemoDept*), the custom away statuses "Meeting", "Lunch" and "Training",
// and six visitors, of whom two are "waitingForChat" in Sales and Technical
// with custom variables. All ids are fixed GUIDs, so tests can name them.
func DemoSeedAt(now time.Time) Seed {
	now = now.UTC().Truncate(time.Millisecond)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	day := 24 * time.Hour
	return Seed{
		AwayStatuses: []string{"Meeting", "Lunch", "Training"},
		Departments: []Department{
			{ID: DemoDeptSales, Name: "Sales"},
			{ID: DemoDeptSupport, Name: "Support"},
			{ID: DemoDeptBilling, Name: "Billing"},
			{ID: DemoDeptTechnical, Name: "Technical"},
		},
		Agents: []Agent{
			{ID: "058cbf51-1c1c-419c-bfe7-d02ff3188cc0", Email: "alice.johnson@example.com", DisplayName: "Alice", FirstName: "Alice", LastName: "Johnson", Status: "Online", OngoingChats: 2},
			{ID: "2a1aa3e3-2e35-4ea1-b995-141c44fa3ab7", Email: "bruno.costa@example.com", DisplayName: "Bruno", FirstName: "Bruno", LastName: "Costa", Status: "Online", OngoingChats: 1},
			{ID: "e2a33817-3257-4476-a193-fee7f2dd4a6f", Email: "chen.wei@example.com", DisplayName: "Chen W.", FirstName: "Wei", LastName: "Chen", Status: "Away"},
			{ID: "cf2492f6-4a81-45da-b08d-c9d2b2c4dae9", Email: "dana.whitfield@example.com", DisplayName: "Dana", FirstName: "Dana", LastName: "Whitfield", Status: "Meeting"},
			{ID: "24a1e2f6-6dc3-45e9-bc9e-2456f1dee701", Email: "emeka.okafor@example.com", DisplayName: "Emeka", FirstName: "Emeka", LastName: "Okafor", Status: "Offline"},
			{ID: "cb61b5f7-9c11-4884-9c16-cc6ec9fc0e60", Email: "fatima.zahra@example.com", DisplayName: "Fatima", FirstName: "Fatima", LastName: "Zahra", Status: "Online"},
			{ID: "be9e7e91-0db4-462a-97b8-de84ae12f5ce", Email: "gustav.lind@example.com", DisplayName: "Gustav", FirstName: "Gustav", LastName: "Lind", Status: "Lunch"},
			{ID: "b56147a1-64f4-487b-8b33-747f88c673a3", Email: "hana.sato@example.com", DisplayName: "Hana", FirstName: "Hana", LastName: "Sato", Status: "Offline"},
		},
		Visitors: []Visitor{
			{
				ID: "1ce80525-ad40-486c-88a0-dec443241672", Status: "waitingForChat",
				Name: "Maria Lopez", Email: "maria.lopez@example.org", Phone: "+34 600 123 456", Company: "Lopez Imports",
				Browser: "Google Chrome 124.0.6367.91", OperatingSystem: "Windows 10", ScreenResolution: "1920x1080",
				Language: "es-ES", IP: "203.0.113.24", Country: "Spain", State: "Madrid", City: "Madrid", TimeZone: "GMT +01:00",
				VisitTime: ago(4 * time.Minute), FirstVisitTime: ago(12 * day), Visits: 3, PageViews: 7,
				CurrentBrowsing: "https://shop.example.com/pricing", ReferrerURL: "https://www.google.com/",
				ProductService: "Pro plan", DepartmentID: DemoDeptSales, SearchEngine: "Google", SearchKeywords: "chat software pricing",
				LandingPage:  "https://shop.example.com/",
				CustomFields: []FieldValue{},
				CustomVariableResults: []FieldValue{
					{Name: "plan", Value: "trial"},
					{Name: "cartValue", Value: "249.00"},
				},
			},
			{
				ID: "6ba8cf58-4b28-492a-8567-7ad09b8dda5f", Status: "waitingForChat",
				Name: "Tom Becker", Email: "tom.becker@example.net", Company: "Becker GmbH",
				Browser: "Mozilla Firefox 125.0", OperatingSystem: "Ubuntu", ScreenResolution: "2560x1440",
				Language: "de-DE", IP: "198.51.100.7", Country: "Germany", State: "Berlin", City: "Berlin", TimeZone: "GMT +01:00",
				VisitTime: ago(90 * time.Second), FirstVisitTime: ago(40 * day), Visits: 9, Chats: 2, PageViews: 3,
				CurrentBrowsing: "https://docs.example.com/api/errors", ReferrerURL: "https://docs.example.com/",
				ProductService: "API", DepartmentID: DemoDeptTechnical,
				LandingPage:  "https://docs.example.com/",
				CustomFields: []FieldValue{{Name: "Account ID", Value: "ACC-20931"}},
				CustomVariableResults: []FieldValue{
					{Name: "accountId", Value: "ACC-20931"},
					{Name: "errorPage", Value: "/api/errors", URL: "https://docs.example.com/api/errors"},
				},
			},
			{
				ID: "59f9f5db-d4f6-4370-8b85-3462e9d8b539", Status: "chatting",
				Name: "Priya Nair", Email: "priya@example.in", Company: "Nair Textiles",
				Browser: "Safari 17.4", OperatingSystem: "Mac OS X", ScreenResolution: "1440x900",
				Language: "en-IN", IP: "192.0.2.55", Country: "India", State: "Kerala", City: "Kochi", TimeZone: "GMT +05:30",
				VisitTime: ago(11 * time.Minute), FirstVisitTime: ago(11 * time.Minute), Visits: 1, Chats: 1, PageViews: 4,
				CurrentBrowsing: "https://shop.example.com/checkout", ReferrerURL: "https://www.bing.com/",
				DepartmentID: DemoDeptBilling, SearchEngine: "Bing", SearchKeywords: "invoice download",
				LandingPage:           "https://shop.example.com/account/invoices",
				CustomVariableResults: []FieldValue{{Name: "plan", Value: "business"}},
			},
			{
				ID: "4c53896e-d216-4753-af91-67b2f1ed243b", Status: "inSite",
				Name:    "203.0.113.90",
				Browser: "Microsoft Edge 124.0", OperatingSystem: "Windows 11", ScreenResolution: "1366x768",
				Language: "en-US", IP: "203.0.113.90", Country: "United States", State: "Texas", City: "Austin", TimeZone: "GMT -06:00",
				VisitTime: ago(2 * time.Minute), FirstVisitTime: ago(2 * time.Minute), Visits: 1, PageViews: 2,
				CurrentBrowsing: "https://shop.example.com/features", ReferrerURL: "https://www.duckduckgo.com/",
				DepartmentID: NoDepartment, SearchEngine: "DuckDuckGo", SearchKeywords: "live chat widget",
				LandingPage: "https://shop.example.com/features",
			},
			{
				ID: "a5fbeb98-b462-433c-ae26-e52120ef6def", Status: "preChat",
				Name: "Kenji Watanabe", Email: "kenji@example.jp",
				Browser: "Google Chrome 123.0", OperatingSystem: "Android 14", ScreenResolution: "412x915",
				Language: "ja-JP", IP: "198.51.100.201", Country: "Japan", State: "Tokyo", City: "Tokyo", TimeZone: "GMT +09:00",
				VisitTime: ago(30 * time.Second), FirstVisitTime: ago(3 * day), Visits: 2, PageViews: 1,
				CurrentBrowsing: "https://shop.example.com/contact",
				DepartmentID:    DemoDeptSupport,
				LandingPage:     "https://shop.example.com/contact",
			},
			{
				ID: "09b8fafb-e565-4009-8664-dd5732418fe9", Status: "chatEnded",
				Name: "Olivia Brown", Email: "olivia.brown@example.co.uk", Phone: "+44 20 7946 0958",
				Browser: "Safari 17.3", OperatingSystem: "iOS 17", ScreenResolution: "390x844",
				Language: "en-GB", IP: "192.0.2.140", Country: "United Kingdom", State: "England", City: "London", TimeZone: "GMT +00:00",
				VisitTime: ago(25 * time.Minute), FirstVisitTime: ago(120 * day), Visits: 14, Chats: 5, PageViews: 11,
				CurrentBrowsing: "https://shop.example.com/orders/10234",
				ProductService:  "Support", DepartmentID: DemoDeptSupport,
				LandingPage:           "https://shop.example.com/",
				CustomVariableResults: []FieldValue{{Name: "orderId", Value: "10234", URL: "https://shop.example.com/orders/10234"}},
			},
		},
	}
}

func cloneSeed(s Seed) Seed {
	out := Seed{
		Agents:       append([]Agent(nil), s.Agents...),
		AwayStatuses: append([]string(nil), s.AwayStatuses...),
		Departments:  append([]Department(nil), s.Departments...),
	}
	for _, v := range s.Visitors {
		out.Visitors = append(out.Visitors, cloneVisitor(v))
	}
	return out
}
