package db

import "context"

// The consistency token as the HTTP server handles it: an opaque string
// (an LSN's text form) that it reads from a request into the context, gets
// after a write, and pins to the primary. These methods are its only way to
// them, so that it never handles an LSN.

// ReadAfterToken returns ctx whose reads see every write up to token (see
// WithReadAfter), or an error when token is not an LSN's text form.
func (s *Store) ReadAfterToken(ctx context.Context, token string) (context.Context, error) {
	lsn, err := ParseLSN(token)
	if err != nil {
		return ctx, err
	}
	return WithReadAfter(ctx, lsn), nil
}

// PrimaryOnly returns ctx whose reads all go to the primary (see
// WithPrimary).
func (s *Store) PrimaryOnly(ctx context.Context) context.Context { return WithPrimary(ctx) }

// CurrentToken is ConsistencyToken in its text form, the token a client
// presents; ok is false on SQLite.
func (s *Store) CurrentToken(ctx context.Context) (token string, ok bool, err error) {
	lsn, ok, err := s.ConsistencyToken(ctx)
	if !ok {
		return "", false, err
	}
	return lsn.String(), true, err
}
