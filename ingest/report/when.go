package report

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// ParseWhen reads a report's bound: an RFC 3339 time, a date (2026-12-01:
// its midnight in loc), or a duration back from now (90m, 24h, 7d, 1d12h; a
// day is 24 hours).
func ParseWhen(s string, now time.Time, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errors.New("empty: want an RFC 3339 time, a date (2026-12-01) or a duration back from now (24h, 7d)")
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		return t, nil
	}
	if d, ok := parseBack(s); ok {
		return now.Add(-d), nil
	}
	return time.Time{}, errors.New("not an RFC 3339 time, a date (2026-12-01) or a duration back from now (24h, 7d)")
}

// parseBack reads a non-negative duration with an optional leading count
// of days ("7d", "1d12h", "36h").
func parseBack(s string) (time.Duration, bool) {
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n, err := strconv.ParseUint(s[:i], 10, 16)
		if err != nil {
			return 0, false
		}
		days, s = time.Duration(n)*24*time.Hour, s[i+1:]
		if s == "" {
			return days, true
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || strings.HasPrefix(s, "+") {
		return 0, false
	}
	return days + d, true
}

// Midnight is the start of now's day in loc: a report's default since.
func Midnight(now time.Time, loc *time.Location) time.Time { return dayStart(now, loc) }
