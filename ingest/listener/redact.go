package listener

import "regexp"

// secretParam matches a secret carried as a URL query parameter or form
// field (token=…, access_token=…, api_key=…, client_secret=…, …), raw or
// percent-encoded inside another URL, and a bearer token in a header
// written out. A value ends at &, ;, space, a quote, # or ), or at %26 (an
// encoded &) inside an encoded URL.
var secretParam = regexp.MustCompile(`(?i)((?:^|[?&;\s"'(,]|%3F|%26)(?:token|access_token|refresh_token|id_token|api_key|apikey|client_secret|password|secret)(?:=|%3D))(?:[^&;\s"'#)%]|%(?:[013-9a-f][0-9a-f]|2[0-57-9a-f]))*` +
	`|(\bbearer\s+)[A-Za-z0-9._~+/=-]+`)

// Redacted is what Redact puts in place of a secret.
const Redacted = "REDACTED"

// Redact replaces the values of secret query parameters in s (a URL, a log
// message, an error) with REDACTED, e.g.
// "/webhooks/comm100?token=abc&x=1" → "/webhooks/comm100?token=REDACTED&x=1".
func Redact(s string) string {
	return secretParam.ReplaceAllString(s, "${1}${2}"+Redacted)
}
