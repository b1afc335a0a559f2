package server

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/auditgraph/auditgraph/model"
)

// credentials reads the caller's key once per request, from
// `Authorization: Bearer cal_…` or `X-API-Key: …`, and puts the principal (or
// the refusal) in the request context. Missing credentials are not an error
// here: public fields (introspection) need none, protected ones refuse.
func (s *Server) credentials(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret, present := presentedKey(r)
		ctx := r.Context()
		if present {
			p, err := s.authenticate(ctx, secret)
			if err != nil {
				ctx = model.WithCredentialError(ctx, err)
			} else {
				ctx = model.WithPrincipal(ctx, p)
			}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// calCredentials is credentials for the /v2 routes: as Cal.com, which takes
// a Bearer token without the cal_ prefix for something else (an OAuth access
// token) and refuses it, a prefixless Bearer token is refused whatever it is.
func (s *Server) calCredentials(next http.Handler) http.Handler {
	check := s.credentials(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := r.Header.Get("Authorization"); h != "" {
			if scheme, token, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") &&
				!strings.HasPrefix(strings.TrimSpace(token), model.KeyPrefix) {
				next.ServeHTTP(w, r.WithContext(model.WithCredentialError(r.Context(), model.ErrUnauthenticated)))
				return
			}
		}
		check.ServeHTTP(w, r)
	})
}

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

func (s *Server) authenticate(ctx context.Context, secret string) (*model.Principal, error) {
	if secret == "" || len(secret) > 256 {
		return nil, model.ErrUnauthenticated
	}
	k, u, err := s.store.APIKeyWithUser(ctx, model.HashKey(secret))
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
