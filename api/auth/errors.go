package auth

// Error codes carried by *Error. They are stable: clients may branch on them
// (for example, refresh the token on CodeTokenExpired), so never rename one.
const (
	// CodeTokenMissing: the request carried no token at all.
	CodeTokenMissing = "token_missing"
	// CodeTokenMalformed: the token (or the auth payload holding it) cannot
	// be decoded, or is larger than MaxTokenBytes.
	CodeTokenMalformed = "token_malformed"
	// CodeTokenSignature: the signature does not match the key.
	CodeTokenSignature = "token_signature"
	// CodeTokenAlgorithm: the alg is not allowed (including "none"), unknown,
	// or does not fit the type of the key named by kid.
	CodeTokenAlgorithm = "token_algorithm"
	// CodeTokenExpired: exp is in the past, beyond the leeway.
	CodeTokenExpired = "token_expired"
	// CodeTokenNotYetValid: nbf or iat is in the future, beyond the leeway.
	CodeTokenNotYetValid = "token_not_yet_valid"
	// CodeTokenIssuer: iss is missing or differs from Config.Issuer.
	CodeTokenIssuer = "token_issuer"
	// CodeTokenAudience: aud is missing or names none of Config.Audience.
	CodeTokenAudience = "token_audience"
	// CodeTokenSubject: sub is missing or empty, so there is no user id.
	CodeTokenSubject = "token_subject"
	// CodeTokenClaims: a claim has the wrong type (for example rooms is a
	// number), or a required exp is absent.
	CodeTokenClaims = "token_claims"
	// CodeTokenKeyUnknown: no configured or published key can verify the
	// token (unknown kid, or no kid and not exactly one candidate key).
	CodeTokenKeyUnknown = "token_key_unknown"
	// CodeJWKSUnavailable: the key set could not be fetched, so the token
	// could not be checked; the client may retry later.
	CodeJWKSUnavailable = "jwks_unavailable"
)

// Error is the only error type Verify and TokenFromRequest return, so a
// gateway can send Code and Message to the client while logging Error(),
// which also includes the underlying cause.
type Error struct {
	// Code is one of the Code* constants.
	Code string
	// Message is a short human-readable explanation that is safe to show to
	// the client: it never contains key material or internal addresses.
	Message string

	err error
}

// Error includes the cause, which may name internal details: log it, but
// send only Code and Message to clients.
func (e *Error) Error() string {
	s := "auth: " + e.Code + ": " + e.Message
	if e.err != nil {
		s += ": " + e.err.Error()
	}
	return s
}

// Unwrap exposes the cause (a jwt, network or JSON error) to errors.Is/As.
func (e *Error) Unwrap() error { return e.err }

// Is lets errors.Is(err, &auth.Error{Code: auth.CodeTokenExpired}) match any
// error with that code, whatever its message and cause.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

func newErr(code, msg string, cause error) *Error {
	return &Error{Code: code, Message: msg, err: cause}
}
