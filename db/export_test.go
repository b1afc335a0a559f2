package db

// WithoutLog returns the store writing without the integrity log: what the
// benchmarks compare against, and how the backfill test makes a database
// of entries the log never saw.
func WithoutLog(s *Store) *Store {
	c := *s
	c.noLog = true
	return &c
}
