package push

import (
	"encoding/json"
	"strconv"

	"github.com/valyala/fasthttp"
)

// Problem types of the push API. Every error answer is an RFC 9457
// problem document (application/problem+json) whose "type" is one of
// these URNs, so that a backend can switch on it without parsing text;
// README.md lists them. They are part of the API and never change.
const (
	ProblemNotFound          = "urn:herald:problem:not-found"
	ProblemMethodNotAllowed  = "urn:herald:problem:method-not-allowed"
	ProblemUnauthorized      = "urn:herald:problem:unauthorized"
	ProblemBadSignature      = "urn:herald:problem:bad-signature"
	ProblemReplayed          = "urn:herald:problem:replayed"
	ProblemForbidden         = "urn:herald:problem:forbidden"
	ProblemRateLimited       = "urn:herald:problem:rate-limited"
	ProblemBodyTooLarge      = "urn:herald:problem:body-too-large"
	ProblemUnsupportedMedia  = "urn:herald:problem:unsupported-media-type"
	ProblemInvalidJSON       = "urn:herald:problem:invalid-json"
	ProblemUnknownField      = "urn:herald:problem:unknown-field"
	ProblemDuplicateField    = "urn:herald:problem:duplicate-field"
	ProblemWrongType         = "urn:herald:problem:wrong-type"
	ProblemMissingField      = "urn:herald:problem:missing-field"
	ProblemInvalidValue      = "urn:herald:problem:invalid-value"
	ProblemNamespaceNotFound = "urn:herald:problem:namespace-not-found"
	ProblemUnavailable       = "urn:herald:problem:unavailable"
	ProblemInternal          = "urn:herald:problem:internal"
	ProblemHeadersTooLarge   = "urn:herald:problem:headers-too-large"
	ProblemTimeout           = "urn:herald:problem:timeout"
	ProblemBadRequest        = "urn:herald:problem:bad-request"
)

// problemInfo is the fixed part of a problem type.
type problemInfo struct {
	status int
	title  string
}

// infoOf returns the status and title of problem type typ.
func infoOf(typ string) (problemInfo, bool) {
	switch typ {
	case ProblemNotFound:
		return problemInfo{fasthttp.StatusNotFound, "No such route"}, true
	case ProblemMethodNotAllowed:
		return problemInfo{fasthttp.StatusMethodNotAllowed, "Method not allowed"}, true
	case ProblemUnauthorized:
		return problemInfo{fasthttp.StatusUnauthorized, "Missing or unknown API key"}, true
	case ProblemBadSignature:
		return problemInfo{fasthttp.StatusUnauthorized, "Missing or invalid request signature"}, true
	case ProblemReplayed:
		return problemInfo{fasthttp.StatusUnauthorized, "Replayed request"}, true
	case ProblemForbidden:
		return problemInfo{fasthttp.StatusForbidden, "The API key lacks the scope this route needs"}, true
	case ProblemRateLimited:
		return problemInfo{fasthttp.StatusTooManyRequests, "Rate limit exceeded"}, true
	case ProblemBodyTooLarge:
		return problemInfo{fasthttp.StatusRequestEntityTooLarge, "Request body too large"}, true
	case ProblemUnsupportedMedia:
		return problemInfo{fasthttp.StatusUnsupportedMediaType, "Request body must be application/json"}, true
	case ProblemInvalidJSON:
		return problemInfo{fasthttp.StatusBadRequest, "Malformed JSON"}, true
	case ProblemUnknownField:
		return problemInfo{fasthttp.StatusBadRequest, "Unknown field"}, true
	case ProblemDuplicateField:
		return problemInfo{fasthttp.StatusBadRequest, "Duplicate field"}, true
	case ProblemWrongType:
		return problemInfo{fasthttp.StatusBadRequest, "Wrong type"}, true
	case ProblemMissingField:
		return problemInfo{fasthttp.StatusBadRequest, "Missing field"}, true
	case ProblemInvalidValue:
		return problemInfo{fasthttp.StatusBadRequest, "Invalid value"}, true
	case ProblemNamespaceNotFound:
		return problemInfo{fasthttp.StatusNotFound, "No such namespace"}, true
	case ProblemUnavailable:
		return problemInfo{fasthttp.StatusServiceUnavailable, "Temporarily unavailable"}, true
	case ProblemInternal:
		return problemInfo{fasthttp.StatusInternalServerError, "Internal error"}, true
	case ProblemHeadersTooLarge:
		return problemInfo{fasthttp.StatusRequestHeaderFieldsTooLarge, "Request headers too large"}, true
	case ProblemTimeout:
		return problemInfo{fasthttp.StatusRequestTimeout, "Request timeout"}, true
	case ProblemBadRequest:
		return problemInfo{fasthttp.StatusBadRequest, "Malformed HTTP request"}, true
	}
	return problemInfo{}, false
}

// Problem is an RFC 9457 problem: the body of every error answer. Field,
// an extension member, names the offending request field or query
// parameter as a path such as "emits[1].targets.rooms[2]".
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Field  string `json:"field,omitempty"`
	// Sent counts the emits of a batch that went out before it failed.
	Sent *int `json:"sent,omitempty"`
}

// newProblem fills in a problem of type typ.
func newProblem(typ, field, detail string) *Problem {
	info, ok := infoOf(typ)
	if !ok {
		typ = ProblemInternal
		info, _ = infoOf(typ)
	}
	return &Problem{Type: typ, Title: info.title, Status: info.status, Detail: detail, Field: field}
}

// Error makes a Problem an error, so that decoding and validation can
// return one and the handler can answer it as is.
func (p *Problem) Error() string {
	if p.Field != "" {
		return p.Title + ": " + p.Field + ": " + p.Detail
	}
	return p.Title + ": " + p.Detail
}

// writeProblem answers p.
func writeProblem(ctx *fasthttp.RequestCtx, p *Problem) {
	b, err := json.Marshal(p)
	if err != nil {
		b = []byte(`{"type":"` + ProblemInternal + `","title":"Internal error","status":500}`)
		p.Status = fasthttp.StatusInternalServerError
	}
	ctx.SetStatusCode(p.Status)
	ctx.SetContentType("application/problem+json")
	ctx.SetBody(b)
}

// writeRetry answers p with a Retry-After of secs seconds.
func writeRetry(ctx *fasthttp.RequestCtx, p *Problem, secs int64) {
	ctx.Response.Header.Set("Retry-After", strconv.FormatInt(secs, 10))
	writeProblem(ctx, p)
}
