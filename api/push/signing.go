package push

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strconv"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// Signing headers. When api.signing.secret is set, every authenticated
// request carries
//
//	X-Herald-Timestamp: <unix seconds>
//	X-Herald-Signature: hex(HMAC-SHA256(secret, method "\n" target "\n" timestamp "\n" body))
//
// where target is the request target exactly as sent on the request line
// (path and query, such as /v1/sockets?room=a). Binding the method, the
// target and the time to the body means a signature cannot be moved to
// another request, and the window bounds how long it can be replayed,
// which the replay cache then prevents altogether.
const (
	HeaderTimestamp = "X-Herald-Timestamp"
	HeaderSignature = "X-Herald-Signature"
)

// DefaultReplayCapacity bounds the signatures remembered against replay;
// about 64 MB when full. A full cache refuses new requests with 503.
const DefaultReplayCapacity = 1 << 20

// signer verifies request signatures.
type signer struct {
	window time.Duration
	seen   *replayCache
	macs   sync.Pool // of hash.Hash keyed with the secret
}

func newSigner(secret []byte, window time.Duration, capacity int) *signer {
	key := append([]byte(nil), secret...)
	s := &signer{window: window, seen: newReplayCache(capacity)}
	s.macs.New = func() any { return hmac.New(sha256.New, key) }
	return s
}

// Sign returns the X-Herald-Signature value for a request, for backends
// written in Go and for tests.
func Sign(secret []byte, method, target string, timestamp int64, body []byte) string {
	m := hmac.New(sha256.New, secret)
	writeSigned(m, []byte(method), []byte(target), strconv.AppendInt(nil, timestamp, 10), body)
	return hex.EncodeToString(m.Sum(nil))
}

func writeSigned(m hash.Hash, method, target, ts, body []byte) {
	nl := []byte{'\n'}
	m.Write(method)
	m.Write(nl)
	m.Write(target)
	m.Write(nl)
	m.Write(ts)
	m.Write(nl)
	m.Write(body)
}

// verify checks the request's signature and timestamp and records the
// signature against replay.
func (s *signer) verify(ctx *fasthttp.RequestCtx, now time.Time) *Problem {
	tsRaw := ctx.Request.Header.Peek(HeaderTimestamp)
	if len(tsRaw) == 0 {
		return newProblem(ProblemBadSignature, "", "missing "+HeaderTimestamp)
	}
	ts, err := strconv.ParseInt(string(tsRaw), 10, 64)
	if err != nil {
		return newProblem(ProblemBadSignature, "", HeaderTimestamp+" must be unix seconds")
	}
	win := int64(s.window / time.Second)
	if d := now.Unix() - ts; d > win || d < -win {
		return newProblem(ProblemBadSignature, "", HeaderTimestamp+" is outside the accepted window of "+s.window.String())
	}
	var got [sha256.Size]byte
	sigHex := ctx.Request.Header.Peek(HeaderSignature)
	if len(sigHex) != hex.EncodedLen(len(got)) {
		return newProblem(ProblemBadSignature, "", "missing or malformed "+HeaderSignature+": want 64 hex digits")
	}
	if _, err := hex.Decode(got[:], sigHex); err != nil {
		return newProblem(ProblemBadSignature, "", "malformed "+HeaderSignature+": want 64 hex digits")
	}
	m := s.macs.Get().(hash.Hash)
	m.Reset()
	writeSigned(m, ctx.Method(), ctx.Request.Header.RequestURI(), tsRaw, ctx.PostBody())
	var want [sha256.Size]byte
	m.Sum(want[:0])
	s.macs.Put(m)
	if !hmac.Equal(got[:], want[:]) {
		return newProblem(ProblemBadSignature, "", "the signature does not match the request")
	}
	switch s.seen.add(got[:], ts+win+1, now.Unix()) {
	case replaySeen:
		return newProblem(ProblemReplayed, "", "this signature was already used")
	case replayFull:
		return newProblem(ProblemUnavailable, "", "too many signed requests within the window to remember; retry shortly")
	}
	return nil
}
