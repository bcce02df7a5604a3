package listener

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/chatdeck/chatdeck/ingest/actions"
)

// maxActionBody limits the body of POST /v1/agents/{id}/status.
const maxActionBody = 4096

// StatusRequest is the body of POST /v1/agents/{id}/status.
type StatusRequest struct {
	Status string `json:"status"`
}

// ActionReply is the answer to a successful action.
type ActionReply struct {
	OK bool `json:"ok"`
	actions.Outcome
}

func (l *Listener) postAgentStatus(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var req StatusRequest
	body, berr := readBody(w, r, maxActionBody)
	if berr != nil {
		writeError(w, berr.status, berr.msg)
		return
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, `body: want {"status":"online"|"away"|<custom away status>}: `+err.Error())
		return
	}
	if req.Status == "" {
		writeError(w, http.StatusBadRequest, `status: missing: want "online", "away" or a custom away status`)
		return
	}
	if l.cfg.Actions == nil {
		writeError(w, http.StatusServiceUnavailable, actions.ErrNotConfigured.Error())
		return
	}
	done, err := l.cfg.Gate.Enter("http " + clientKey(r))
	if err != nil {
		l.log.Debug("agent status change refused", "agent", id, "status", req.Status, "err", err)
		writeActionError(w, err)
		return
	}
	out, err := l.cfg.Actions.SetAgentStatus(r.Context(), id, req.Status)
	done()
	if err != nil {
		l.log.Warn("agent status change failed", "agent", id, "status", req.Status, "err", err)
		writeActionError(w, err)
		return
	}
	l.log.Info("agent status changed", "agent", id, "status", req.Status, "cursor", strconv.FormatInt(out.Cursor, 10))
	l.replyJSON(w, http.StatusOK, "action_result", ActionReply{OK: true, Outcome: out})
}

// writeActionError answers an action's error with the status that says
// it; a refusal to try again later (busy, no budget) carries Retry-After.
func writeActionError(w http.ResponseWriter, err error) {
	status := actionStatus(err)
	if status == http.StatusTooManyRequests {
		wait := time.Second
		var ra interface{ RetryAfter() time.Duration }
		if errors.As(err, &ra) {
			wait = ra.RetryAfter()
		}
		w.Header().Set("Retry-After", retryAfterSeconds(wait))
	}
	writeError(w, status, err.Error())
}

// actionStatus maps an action's error to the HTTP status that says it.
func actionStatus(err error) int {
	switch {
	case errors.Is(err, actions.ErrBusy), errors.Is(err, actions.ErrBudget):
		return http.StatusTooManyRequests
	case errors.Is(err, actions.ErrInvalid), errors.Is(err, actions.ErrUnknownStatus):
		return http.StatusBadRequest
	case errors.Is(err, actions.ErrUnknownAgent), errors.Is(err, actions.ErrUnknownVisitor):
		return http.StatusNotFound
	case errors.Is(err, actions.ErrNotConfigured):
		return http.StatusServiceUnavailable
	case errors.Is(err, actions.ErrUpstream):
		return http.StatusBadGateway
	}
	return http.StatusServiceUnavailable
}
