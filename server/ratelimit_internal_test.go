package server

import (
	"context"
	"fmt"
	"testing"
)

// The limiter's tables, the label sets and the query caches stay within
// their bounds whatever the number of distinct callers or documents.
func TestTablesAreBounded(t *testing.T) {
	tab := newBucketTable(1, 1, 1024)
	for i := 0; i < 100_000; i++ {
		tab.take(fmt.Sprintf("ip:%d", i), 1)
	}
	if n := tab.len(); n > 1024 {
		t.Fatalf("bucket table holds %d buckets, bound 1024", n)
	}
	// A bucket that stays in use keeps its state: its key is not refilled
	// by others' traffic while it is recent.
	if ok, _, _ := tab.take("ip:99999", 1); ok {
		t.Fatal("the last caller's bucket was refilled")
	}

	labels := newLabelSet(10)
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		seen[labels.label(fmt.Sprintf("Op%d", i))] = true
	}
	seen[labels.label("not a name!")] = true
	if len(seen) != 11 || !seen["other"] {
		t.Fatalf("%d distinct labels, want 10 learned and other", len(seen))
	}

	cache := newByteCache(10_000, func(k, v string) int { return len(k) + len(v) })
	ctx := context.Background()
	for i := 0; i < 1000; i++ {
		cache.Add(ctx, fmt.Sprintf("k%d", i), string(make([]byte, 100)))
	}
	cache.Add(ctx, "huge", string(make([]byte, 20_000)))
	if b := cache.bytes(); b > 10_000 {
		t.Fatalf("cache holds %d bytes, bound 10000", b)
	}
	if _, ok := cache.Get(ctx, "k999"); !ok {
		t.Fatal("the most recent entry was evicted")
	}
	if _, ok := cache.Get(ctx, "k0"); ok {
		t.Fatal("the oldest entry was kept past the bound")
	}
}
