package db

import (
	"context"
	"database/sql"
	"time"

	"github.com/auditgraph/auditgraph/model"
)

// APIKeyByHash returns the key stored under hash, or NOT_FOUND.
func (s *Store) APIKeyByHash(ctx context.Context, hash string) (*model.APIKey, error) {
	var r apiKeyRow
	if err := s.idb.NewSelect().Model(&r).Where("k.key_hash = ?", hash).Scan(ctx); err != nil {
		return nil, notFound(err, "no such API key")
	}
	return &r.APIKey, nil
}

// apiKeyWithUser returns the key stored under hash and its owner in one
// query, or NOT_FOUND.
func (s *Store) apiKeyWithUser(ctx context.Context, hash string) (*model.APIKey, *model.User, error) {
	var r apiKeyUserRow
	if err := s.idb.NewSelect().Model(&r).Relation("User").Where("k.key_hash = ?", hash).Scan(ctx); err != nil {
		return nil, nil, notFound(err, "no such API key")
	}
	if r.User == nil || r.User.ID == 0 {
		return nil, nil, notFound(sql.ErrNoRows, "no such API key")
	}
	return &r.APIKey, &r.User.User, nil
}

// CreateAPIKey stores k (its Hash, never the secret) and sets its id.
func (s *Store) CreateAPIKey(ctx context.Context, k *model.APIKey) error {
	if k.Scopes == nil {
		k.Scopes = []string{}
	}
	if k.CreatedAt.IsZero() {
		k.CreatedAt = time.Now().UTC()
	}
	r := apiKeyRow{APIKey: *k}
	if _, err := s.idb.NewInsert().Model(&r).ExcludeColumn("id").Returning("id").Exec(ctx); err != nil {
		return conflict(err)
	}
	k.ID = r.ID
	return nil
}

// ListAPIKeys lists the keys of a user, or every key when userID is 0.
func (s *Store) ListAPIKeys(ctx context.Context, userID int64) ([]model.APIKey, error) {
	var rows []apiKeyRow
	q := s.idb.NewSelect().Model(&rows).OrderExpr("k.id")
	if userID != 0 {
		q = q.Where("k.user_id = ?", userID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, err
	}
	return unwrap(rows, func(r *apiKeyRow) model.APIKey { return r.APIKey }), nil
}

// RevokeAPIKey marks the key revoked; NOT_FOUND if there is no such key.
func (s *Store) RevokeAPIKey(ctx context.Context, id int64, at time.Time) error {
	res, err := s.idb.NewUpdate().Model((*apiKeyRow)(nil)).Set("revoked_at = COALESCE(revoked_at, ?)", at.UTC()).
		Where("id = ?", id).Exec(ctx)
	if err != nil {
		return err
	}
	s.wrote()
	if n, _ := res.RowsAffected(); n == 0 {
		return model.Errorf(model.CodeNotFound, "API key %d not found", id)
	}
	// Live subscriptions of the key end (they re-check their access).
	if err := s.notify(ctx, s.idb, AccessChanged, nil); err != nil {
		return err
	}
	s.publish(AccessChanged, nil)
	return nil
}

// TouchAPIKey records that the key was used at.
func (s *Store) TouchAPIKey(ctx context.Context, id int64, at time.Time) error {
	_, err := s.idb.NewUpdate().Model((*apiKeyRow)(nil)).Set("last_used_at = ?", at.UTC()).Where("id = ?", id).Exec(ctx)
	if err == nil && s.facts != nil {
		s.facts.touched(id, at.UTC())
	}
	return err
}
