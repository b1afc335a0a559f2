package model

import "testing"

const benchEntryID = "0190f3a4-7b2c-7d4e-8f10-123456789abc"

func BenchmarkEncodeCursor(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if EncodeCursor(CursorEventTypeHistory, benchEntryID) == "" {
			b.Fatal("empty cursor")
		}
	}
}

func BenchmarkDecodeCursor(b *testing.B) {
	c := EncodeCursor(CursorEventTypeHistory, benchEntryID)
	b.ReportAllocs()
	for b.Loop() {
		id, err := DecodeCursor(CursorEventTypeHistory, "after", c)
		if err != nil || id != benchEntryID {
			b.Fatalf("DecodeCursor = %q, %v", id, err)
		}
	}
}

func BenchmarkDecodeChangeLogCursor(b *testing.B) {
	const id = "log_0190f3a47b2c7d4e8f10123456789abc"
	c := EncodeCursor(CursorMemberChangeLogs, id)
	b.ReportAllocs()
	for b.Loop() {
		if got, err := DecodeCursor(CursorMemberChangeLogs, "after", c); err != nil || got != id {
			b.Fatalf("DecodeCursor = %q, %v", got, err)
		}
	}
}
