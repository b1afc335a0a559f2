package main

import (
	"encoding/json"
	"testing"
)

func plan(t *testing.T, raw string) planNode {
	t.Helper()
	var out []struct {
		Plan planNode `json:"Plan"`
	}
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		t.Fatal(err)
	}
	return out[0].Plan
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name          string
		raw           string
		inOrder, sort bool
		seq           bool
	}{
		{"index scan under limit", `[{"Plan": {"Node Type": "Limit", "Plans": [
			{"Node Type": "Index Scan", "Relation Name": "event_type_history", "Index Name": "event_type_history_page", "Scan Direction": "Forward"}]}}]`,
			true, false, false},
		{"merge of two index scans", `[{"Plan": {"Node Type": "Limit", "Plans": [{"Node Type": "Merge Append", "Plans": [
			{"Node Type": "Limit", "Plans": [{"Node Type": "Index Scan", "Relation Name": "member_change_logs", "Scan Direction": "Backward"}]},
			{"Node Type": "Limit", "Plans": [{"Node Type": "Index Only Scan", "Relation Name": "member_change_logs"}]}]}]}}]`,
			true, false, false},
		{"sort over a bitmap scan", `[{"Plan": {"Node Type": "Limit", "Plans": [{"Node Type": "Sort", "Plans": [
			{"Node Type": "Bitmap Heap Scan", "Relation Name": "attribute_assignment_history", "Plans": [
				{"Node Type": "Bitmap Index Scan", "Index Name": "attribute_assignment_history_page"}]}]}]}}]`,
			false, true, false},
		{"sequential scan", `[{"Plan": {"Node Type": "Limit", "Plans": [{"Node Type": "Sort", "Plans": [
			{"Node Type": "Seq Scan", "Relation Name": "event_type_history"}]}]}}]`,
			false, true, true},
		{"no history table", `[{"Plan": {"Node Type": "Seq Scan", "Relation Name": "users"}}]`, false, false, false},
	} {
		v := check(plan(t, tc.raw))
		if v.indexInOrder != tc.inOrder || v.sort != tc.sort || v.seqScan != tc.seq {
			t.Errorf("%s: got in order %v, sort %v, seq scan %v; want %v, %v, %v (%v)",
				tc.name, v.indexInOrder, v.sort, v.seqScan, tc.inOrder, tc.sort, tc.seq, v.scans)
		}
	}
}

func TestPasses(t *testing.T) {
	seq := `[{"Plan": {"Node Type": "Aggregate", "Plans": [{"Node Type": "Seq Scan", "Relation Name": "member_change_logs"}]}}]`
	indexOnly := `[{"Plan": {"Node Type": "Result", "Plans": [
		{"Node Type": "Aggregate", "Plans": [{"Node Type": "Index Only Scan", "Relation Name": "member_change_logs", "Index Name": "member_change_logs_by_actor"}]},
		{"Node Type": "Aggregate", "Plans": [{"Node Type": "Index Only Scan", "Relation Name": "member_change_logs", "Index Name": "member_change_logs_by_resource"}]}]}}]`
	bitmap := `[{"Plan": {"Node Type": "Aggregate", "Plans": [{"Node Type": "Bitmap Heap Scan", "Relation Name": "member_change_logs", "Plans": [
		{"Node Type": "Bitmap Index Scan", "Index Name": "member_change_logs_by_actor"}]}]}}]`
	sorted := `[{"Plan": {"Node Type": "Sort", "Plans": [{"Node Type": "Index Scan", "Relation Name": "member_change_logs"}]}}]`
	twoPhase := `[{"Plan": {"Node Type": "Nested Loop", "Plans": [
		{"Node Type": "Limit", "Plans": [{"Node Type": "Merge Append", "Plans": [
			{"Node Type": "Limit", "Plans": [{"Node Type": "Index Only Scan", "Relation Name": "member_change_logs"}]},
			{"Node Type": "Limit", "Plans": [{"Node Type": "Index Only Scan", "Relation Name": "member_change_logs"}]}]}]},
		{"Node Type": "Index Scan", "Relation Name": "member_change_logs", "Index Name": "member_change_logs_pkey"}]}}]`
	for _, tc := range []struct {
		name  string
		count bool
		raw   string
		want  bool
	}{
		{"count by sequential scan", true, seq, false},
		{"count by index-only scans", true, indexOnly, true},
		{"count by bitmap scan", true, bitmap, true},
		{"page by sequential scan", false, seq, false},
		{"page with a sort", false, sorted, false},
		{"page in two phases", false, twoPhase, true},
	} {
		if got := passes(tc.count, check(plan(t, tc.raw))); got != tc.want {
			t.Errorf("%s: passes %v, want %v", tc.name, got, tc.want)
		}
	}
}
