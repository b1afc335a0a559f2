package server

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/auditgraph/auditgraph/model"
)

// presentedKey returns the presented secret; a malformed header is presented
// but empty, so it is refused like an unknown key.
func presentedKey(r *http.Request) (string, bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return "", true
		}
		return strings.TrimSpace(token), true
	}
	if h := r.Header.Get("X-API-Key"); h != "" {
		return strings.TrimSpace(h), true
	}
	return "", false
}

// touchEvery bounds how often a key's last-used time is written.
const touchEvery = time.Minute

// Refused keys are remembered by hash, so a key presented again costs one
// hash and one map lookup rather than a statement. The table is bounded;
// an entry lives refusedKeyTTL, so a key refused before it was created (or
// before its expiry was moved) is accepted again within that time.
const (
	refusedKeys   = 1 << 16
	refusedKeyTTL = time.Minute
	// goodKeys remembers keys that authenticated, by hash, so their
	// holders pass an address's exhausted failure budget (see admit).
	goodKeys   = 1 << 16
	goodKeyTTL = 10 * time.Minute
)

// refusedCredential reports whether err is the verdict on a key (unknown,
// expired, revoked) rather than a failure to reach one (database down).
func refusedCredential(err error) bool {
	switch model.ErrorCode(err) {
	case model.CodeInternal, model.CodeUnavailable:
		return false
	}
	return true
}

// authenticate looks the key up by its hash: first among recently refused
// keys, then in the store. Credentials that cannot be a key are refused
// without either.
func (s *Server) authenticate(ctx context.Context, secret string) (*model.Principal, error) {
	if secret == "" || len(secret) > 256 {
		return nil, model.ErrUnauthenticated
	}
	hash := model.HashKey(secret)
	if err, ok := s.refused.Get(hash); ok {
		return nil, err
	}
	p, err := s.lookupKey(ctx, hash)
	switch {
	case err == nil:
		s.good.Add(hash, struct{}{})
	case refusedCredential(err):
		s.refused.Add(hash, err)
		s.good.Remove(hash)
	}
	return p, err
}

// recentlyGood reports whether secret's key authenticated within
// goodKeyTTL. It only lets the key through the failed-authentication gate:
// the key is looked up as always.
func (s *Server) recentlyGood(secret string) bool {
	if secret == "" || len(secret) > 256 {
		return false
	}
	return s.good.Contains(model.HashKey(secret))
}

func (s *Server) lookupKey(ctx context.Context, hash string) (*model.Principal, error) {
	k, u, err := s.store.APIKeyWithUser(ctx, hash)
	if model.ErrorCode(err) == model.CodeNotFound {
		return nil, model.ErrUnauthenticated
	}
	if err != nil {
		return nil, err
	}
	now := time.Now()
	if !k.Usable(now) {
		if k.RevokedAt == nil {
			// Expired: GraphQL answers it as any refused key, /v1's document
			// has its own code for it.
			return nil, &model.Error{Code: model.CodeUnauthenticated, Message: model.ErrUnauthenticated.Message, Reason: model.ReasonKeyExpired}
		}
		return nil, model.ErrUnauthenticated
	}
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) > touchEvery {
		if err := s.store.TouchAPIKey(ctx, k.ID, now); err != nil {
			s.logger.WarnContext(ctx, "recording key use failed", "key_id", k.ID, "err", err)
		}
	}
	return &model.Principal{User: u, Key: k}, nil
}
