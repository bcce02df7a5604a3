package listener

import (
	"net/url"
	"strconv"
	"strings"
)

// maxQueryParams is net/url's own bound on a query's parameters (past it
// url.ParseQuery returns none at all).
const maxQueryParams = 10000

// queryProblem says what is wrong with a raw query that cannot be read
// unambiguously, or "" when nothing is. Go's url.ParseQuery drops what it
// cannot parse, so that a token in such a query would read as missing; a
// careful server refuses the query instead, naming the problem, rather
// than guess at what the sender meant (parameter smuggling lives in the
// gaps between parsers).
func queryProblem(raw string) string {
	if raw == "" {
		return ""
	}
	if n := strings.Count(raw, "&") + 1; n > maxQueryParams {
		return "query: " + strconv.Itoa(n) + " parameters, more than the " + strconv.Itoa(maxQueryParams) + " allowed"
	}
	if strings.Contains(raw, ";") {
		return `query: ";" is not a separator: separate parameters with "&" (percent-encode a ";" in a value as %3B)`
	}
	if _, err := url.ParseQuery(raw); err != nil {
		return "query: " + err.Error()
	}
	return ""
}
