package comm100api

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Error is an answer from the API that is not a success. It keeps the
// status and the first bytes of the body, which the API does not document
// and which may not be JSON.
type Error struct {
	Method     string
	Path       string
	Status     int
	Body       string        // at most MaxErrorBody bytes
	RetryAfter time.Duration // from Retry-After, when sent
}

// MaxErrorBody is how much of an error body Error keeps.
const MaxErrorBody = 512

func (e *Error) Error() string {
	msg := fmt.Sprintf("comm100 API: %s %s: %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// StatusOf returns the HTTP status of an API error, or 0 for any other error.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// Sentinel conditions, for errors.Is on an *Error.
var (
	ErrUnauthorized = errors.New("comm100 API: unauthorized")
	ErrNotFound     = errors.New("comm100 API: not found")
	ErrBadRequest   = errors.New("comm100 API: bad request")
	ErrRateLimited  = errors.New("comm100 API: rate limited")
	ErrUnavailable  = errors.New("comm100 API: unavailable")
)

// Is lets errors.Is match an *Error against the sentinels.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrBadRequest:
		return e.Status == http.StatusBadRequest
	case ErrRateLimited:
		return e.Status == http.StatusTooManyRequests
	case ErrUnavailable:
		return e.Status >= 500
	}
	return false
}

// retryable reports whether a status is worth another try: the API asked
// to slow down (429, 503) or a gateway failed (502, 504).
func retryable(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusGatewayTimeout:
		return true
	}
	return false
}
