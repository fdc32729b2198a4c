package backend

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// Codes of *Error. They are part of the wire contract with clients (see
// AckPayload), so they never change.
const (
	// CodeStatus: the backend answered with a status other than 2xx.
	CodeStatus = "backend_status"
	// CodeTimeout: no complete answer within the timeout.
	CodeTimeout = "backend_timeout"
	// CodeUnavailable: the breaker is open, or the backend could not be
	// reached or dropped the connection.
	CodeUnavailable = "backend_unavailable"
	// CodeBusy: the request was never sent, because the in-flight bound
	// stayed full, or the caller's context ended, before a slot freed.
	CodeBusy = "backend_busy"
	// CodeInvalid: the backend answered 2xx with a body that is not JSON,
	// not the expected shape, or larger than the configured bound.
	CodeInvalid = "backend_invalid"
)

// ErrInvalidEvent is returned by Forward for an Event whose Args are not a
// JSON array. It is a bug of the caller, not a backend failure, so it is
// not an *Error and nothing is sent.
var ErrInvalidEvent = errors.New("backend: event args are not a JSON array")

var errNotJSON = errors.New("answer is not JSON")

// maxMessage bounds a message taken from a backend's answer, so that a
// hostile backend cannot make clients receive megabytes of error text.
const maxMessage = 1024

// Error is a failed call to the backend. Code says what went wrong in a
// form clients can branch on; Message is safe to show them; Err keeps the
// cause for logs and may name internal addresses, so Error() is for logs
// only.
type Error struct {
	// Code is one of the Code constants.
	Code string
	// Status is the backend's HTTP status, 0 when no answer arrived.
	Status int
	// Message is short and meant for the client. For a 4xx answer whose
	// JSON body has a string "message", it is that message.
	Message string
	// Data is the "data" member of a 4xx answer's JSON body, if any, so a
	// backend can tell the client why it refused an event.
	Data json.RawMessage
	// Err is the underlying cause, if any.
	Err error
}

// Error describes the failure for logs, cause included.
func (e *Error) Error() string {
	s := "backend: " + e.Code
	if e.Status != 0 {
		s += " (status " + strconv.Itoa(e.Status) + ")"
	}
	s += ": " + e.Message
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap exposes the cause to errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Err }

// AckPayload is the error acknowledgement a client receives in place of the
// backend's answer:
//
//	{"error":{"code":"backend_status","message":"…","status":404,"data":…}}
//
// "status" is present only when the backend answered, "data" only when a
// 4xx answer carried one.
func (e *Error) AckPayload() map[string]any {
	inner := map[string]any{"code": e.Code, "message": e.Message}
	if e.Status != 0 {
		inner["status"] = e.Status
	}
	if len(e.Data) != 0 {
		inner["data"] = e.Data
	}
	return map[string]any{"error": inner}
}

// Refusal is the backend's explicit "no" to a connection: a 401 or 403
// from the connect hook. Unlike *Error it is a verdict, not a failure; the
// client should receive Message and Data in its connect_error event.
type Refusal struct {
	// Status is 401 or 403.
	Status int
	// Message is the answer's "message", or the status text when absent.
	Message string
	// Data is the answer's "data", verbatim JSON, or nil.
	Data json.RawMessage
}

// Error returns Message, which is meant for the client.
func (r *Refusal) Error() string { return r.Message }

func newError(code string, status int, msg string, cause error) *Error {
	return &Error{Code: code, Status: status, Message: msg, Err: cause}
}

// statusError builds the error of a non-2xx answer. A 4xx answer may carry
// {"message":…,"data":…} for the client; a 5xx answer's body is not shown,
// as it tends to hold internals (stack traces, proxy pages).
func statusError(status int, body []byte) *Error {
	e := &Error{Code: CodeStatus, Status: status, Message: "backend answered " + strconv.Itoa(status)}
	if status >= 400 && status < 500 {
		if msg, data, ok := decodeMessage(body); ok {
			if msg != "" {
				e.Message = msg
			}
			e.Data = data
		}
	}
	return e
}

// decodeMessage reads {"message":"…","data":…} leniently: ok is false when
// body is not a JSON object; a message that is not a string is ignored.
func decodeMessage(body []byte) (msg string, data json.RawMessage, ok bool) {
	var w struct {
		Message json.RawMessage `json:"message"`
		Data    json.RawMessage `json:"data"`
	}
	if len(body) == 0 || json.Unmarshal(body, &w) != nil {
		return "", nil, false
	}
	if len(w.Message) > 0 && w.Message[0] == '"' {
		_ = json.Unmarshal(w.Message, &msg)
		msg = truncate(msg, maxMessage)
	}
	if len(w.Data) > 0 && string(w.Data) != "null" {
		data = w.Data // Unmarshal copied it
	}
	return msg, data, true
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

func statusText(status int) string {
	if t := http.StatusText(status); t != "" {
		return t
	}
	return fmt.Sprintf("status %d", status)
}
