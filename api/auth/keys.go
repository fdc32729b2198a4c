package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// MinRSABits is the smallest RSA modulus accepted, from PEM or JWKS: shorter
// keys are factorable by a determined attacker.
const MinRSABits = 2048

// keyKind ties every algorithm to exactly one key type. Keeping the two in
// lock-step is what defeats algorithm confusion: an RS256 public key can never
// be handed to the HMAC verifier, because HS* only ever uses Config.Secret.
type keyKind uint8

const (
	kindNone keyKind = iota
	kindHMAC
	kindRSA
	kindP256
	kindEd25519
)

func (k keyKind) String() string {
	switch k {
	case kindHMAC:
		return "HMAC secret"
	case kindRSA:
		return "RSA key"
	case kindP256:
		return "EC P-256 key"
	case kindEd25519:
		return "Ed25519 key"
	}
	return "unsupported key"
}

// algKind reports the key type alg needs, or kindNone for algorithms this
// package does not support (including "none").
func algKind(alg string) keyKind {
	switch alg {
	case "HS256", "HS384", "HS512":
		return kindHMAC
	case "RS256":
		return kindRSA
	case "ES256":
		return kindP256
	case "EdDSA":
		return kindEd25519
	}
	return kindNone
}

// minSecretLen is the HMAC key length matching the hash size (RFC 7518 §3.2).
func minSecretLen(alg string) int {
	switch alg {
	case "HS256":
		return 32
	case "HS384":
		return 48
	case "HS512":
		return 64
	}
	return 0
}

// publicKey is a verification key from Config.PublicKeys or the JWKS.
type publicKey struct {
	id   string // kid; "" when the key has none
	alg  string // alg the publisher restricted the key to; "" for any fitting alg
	kind keyKind
	key  crypto.PublicKey
}

// fits reports whether k may verify a token signed with alg.
func (k *publicKey) fits(alg string) bool {
	return k.kind == algKind(alg) && (k.alg == "" || k.alg == alg)
}

// classifyKey returns the kind of a parsed public key, rejecting key types and
// sizes no supported algorithm can use safely.
func classifyKey(pub crypto.PublicKey) (keyKind, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N == nil || k.N.BitLen() < MinRSABits {
			return kindNone, fmt.Errorf("RSA key is shorter than %d bits", MinRSABits)
		}
		return kindRSA, nil
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return kindNone, fmt.Errorf("EC key on curve %s is not supported (only P-256 for ES256)", k.Curve.Params().Name)
		}
		return kindP256, nil
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return kindNone, errors.New("Ed25519 key has the wrong length")
		}
		return kindEd25519, nil
	}
	return kindNone, fmt.Errorf("unsupported public key type %T", pub)
}

// parsePublicKeyPEM reads the first PEM block of data. It accepts the forms
// operators usually have at hand: a PKIX "PUBLIC KEY", a PKCS#1 "RSA PUBLIC
// KEY", or a "CERTIFICATE" (whose key is used; the certificate itself is not
// validated, it is only a container).
func parsePublicKeyPEM(data []byte) (crypto.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block found")
	}
	switch block.Type {
	case "PUBLIC KEY":
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse PUBLIC KEY: %w", err)
		}
		return pub, nil
	case "RSA PUBLIC KEY":
		pub, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse RSA PUBLIC KEY: %w", err)
		}
		return pub, nil
	case "CERTIFICATE":
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse CERTIFICATE: %w", err)
		}
		return cert.PublicKey, nil
	}
	return nil, fmt.Errorf("PEM block %q is not a public key or certificate", block.Type)
}

// parsePrivateKeyPEM reads the first PEM block of data as a signing key:
// PKCS#8 "PRIVATE KEY", PKCS#1 "RSA PRIVATE KEY" or SEC 1 "EC PRIVATE KEY".
func parsePrivateKeyPEM(data []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block found")
	}
	var (
		key any
		err error
	)
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("PEM block %q is not a private key", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", block.Type, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("unsupported private key type %T", key)
	}
	return signer, nil
}
