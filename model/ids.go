package model

import (
	"crypto/rand"
	"encoding/hex"
	"strings"

	"github.com/google/uuid"
)

// NewEntryID returns a UUIDv7: time-ordered, so new entries land at the end of
// the primary key index.
func NewEntryID() string { return uuid.Must(uuid.NewV7()).String() }

// NewChangeLogID returns a "log_" id: a UUIDv7 in hex.
func NewChangeLogID() string {
	u := uuid.Must(uuid.NewV7())
	return "log_" + hex.EncodeToString(u[:])
}

// NewPublicID returns prefix + "_" + 20 random base62 characters.
func NewPublicID(prefix string) string {
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	var b [20]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	var sb strings.Builder
	sb.WriteString(prefix)
	sb.WriteByte('_')
	for _, c := range b {
		sb.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return sb.String()
}
