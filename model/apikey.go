package model

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// KeyPrefix starts every API key secret. It is not part of what is hashed,
// as on the Cal.com service whose clients we serve.
const KeyPrefix = "cal_"

// Scopes a key may carry. A key without scopes is unrestricted for reading
// (within its owner's roles); writing always needs ScopeWrite.
const (
	ScopeEventTypeRead = "EVENT_TYPE_READ"
	ScopeWrite         = "audit:write"
)

// APIKey is a stored credential. Only the SHA-256 of the secret is kept.
type APIKey struct {
	ID             int64      `bun:"id,pk,autoincrement" json:"id"`
	Hash           string     `bun:"key_hash" json:"-"`
	Hint           string     `bun:"hint" json:"hint"`
	Name           string     `bun:"name" json:"name"`
	UserID         int64      `bun:"user_id" json:"userId"`
	OrganizationID *int64     `bun:"organization_id" json:"organizationId"`
	Scopes         []string   `bun:"scopes,type:text" json:"scopes"`
	ExpiresAt      *time.Time `bun:"expires_at" json:"expiresAt"`
	RevokedAt      *time.Time `bun:"revoked_at" json:"revokedAt"`
	LastUsedAt     *time.Time `bun:"last_used_at" json:"lastUsedAt"`
	CreatedAt      time.Time  `bun:"created_at" json:"createdAt"`
}

// Usable reports whether the key may authenticate at now.
func (k *APIKey) Usable(now time.Time) bool {
	if k == nil || k.RevokedAt != nil {
		return false
	}
	return k.ExpiresAt == nil || now.Before(*k.ExpiresAt)
}

// HasScope reports whether the key carries scope s.
func (k *APIKey) HasScope(s string) bool { return OneOf(s, k.Scopes) }

// NewKeySecret returns a fresh secret "cal_" + 32 hex digits.
func NewKeySecret() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return KeyPrefix + hex.EncodeToString(b[:])
}

// HashKey returns the stored form of a presented secret: hex SHA-256 of the
// secret without its "cal_" prefix.
func HashKey(secret string) string {
	sum := sha256.Sum256([]byte(strings.TrimPrefix(secret, KeyPrefix)))
	return hex.EncodeToString(sum[:])
}

// KeyHint is the part of a secret safe to list: its prefix and first characters.
func KeyHint(secret string) string {
	if len(secret) <= len(KeyPrefix)+4 {
		return KeyPrefix + "…"
	}
	return secret[:len(KeyPrefix)+4] + "…"
}
