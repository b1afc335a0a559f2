package db

import (
	"context"
	"sync/atomic"

	"github.com/uptrace/bun"
)

// StatementCounter is a query hook counting the statements run. Every DB
// carries one (DB.Statements): the server exports it as a metric and tests
// assert on it.
type StatementCounter struct {
	n atomic.Int64
}

var _ bun.QueryHook = (*StatementCounter)(nil)

// BeforeQuery implements bun.QueryHook.
func (c *StatementCounter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

// AfterQuery implements bun.QueryHook.
func (c *StatementCounter) AfterQuery(context.Context, *bun.QueryEvent) {
	c.n.Add(1)
}

// Count returns the statements counted so far.
func (c *StatementCounter) Count() int64 { return c.n.Load() }
