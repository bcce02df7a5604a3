package listener

import (
	"regexp"
	"strconv"
	"strings"
)

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

// secretName matches a parameter name, percent-decoded, that carries a
// secret: one of the names secretParam knows, alone or as the last part
// of a longer name (x_token, hub.secret, api-key).
var secretName = regexp.MustCompile(`(?i)(?:^|[^a-z0-9])(?:token|api[_-]?key|secret|password|passwd)[\]\s]*$`)

// maxLoggedQuery bounds the query the request log shows: a longer one is
// cut at a parameter's end (so never inside a value) and says how many
// parameters were left out.
const maxLoggedQuery = 2048

// decodeRounds is how many percent-decodings a name or value is checked
// through: enough for a URL inside a URL inside a query.
const decodeRounds = 4

// RedactQuery is a raw query as it may be logged. Each parameter is read
// as any parser might read it (split at & or ;, percent-decoded up to
// four times, '+' as a space, names in any case): the value of a
// parameter whose decoded name is a secret's is REDACTED, and so is any
// value that, decoded, carries a secret parameter of its own or one of
// secrets (the configured token, say). Other parameters are kept as
// sent. E.g. "tok%65n=%53ecret&x=1" → "tok%65n=REDACTED&x=1".
func RedactQuery(raw string, secrets ...string) string {
	var b strings.Builder
	for rest := raw; rest != ""; {
		pair, sep := rest, ""
		if i := strings.IndexAny(rest, "&;"); i >= 0 {
			pair, sep = rest[:i], rest[i:i+1]
		}
		if b.Len()+len(pair) > maxLoggedQuery {
			n := strings.Count(rest, "&") + strings.Count(rest, ";") + 1
			b.WriteString("...(" + strconv.Itoa(n) + " more parameters)")
			break
		}
		b.WriteString(redactPair(pair, secrets))
		b.WriteString(sep)
		rest = rest[len(pair)+len(sep):]
	}
	return b.String()
}

// redactPair is one name=value of a query, redacted as RedactQuery says.
func redactPair(pair string, secrets []string) string {
	key, _, hasValue := strings.Cut(pair, "=")
	switch {
	case anyDecoding(key, secretName.MatchString):
		if !hasValue {
			return pair // a name alone holds nothing
		}
		return key + "=" + Redacted
	case anyDecoding(pair, func(d string) bool { return secretParam.MatchString(d) || holdsAny(d, secrets) }):
		// The secret is in the value, or in a name that decodes to
		// "x=…&token=…": keep the name only when it is clean.
		if anyDecoding(key, func(k string) bool { return holdsAny(k, secrets) || strings.ContainsAny(k, "&;=") }) {
			return Redacted
		}
		return key + "=" + Redacted
	}
	return pair
}

// anyDecoding reports whether test holds for s or for any of its first
// decodeRounds percent-decodings.
func anyDecoding(s string, test func(string) bool) bool {
	for range decodeRounds + 1 {
		if test(s) {
			return true
		}
		d := unescapeLoose(s)
		if d == s {
			return false
		}
		s = d
	}
	return false
}

func holdsAny(s string, secrets []string) bool {
	for _, sec := range secrets {
		if sec != "" && strings.Contains(s, sec) {
			return true
		}
	}
	return false
}

// unescapeLoose percent-decodes s as a query component ('+' is a space),
// keeping a '%' that does not start a valid escape, as browsers do.
func unescapeLoose(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b = append(b, ' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// redactPath is a request path as it may be logged: whole, or REDACTED
// when any decoding of it holds one of secrets, and with secret
// parameters written into it redacted (see Redact).
func redactPath(p string, secrets ...string) string {
	if anyDecoding(p, func(d string) bool { return holdsAny(d, secrets) }) {
		return Redacted
	}
	return Redact(p)
}
