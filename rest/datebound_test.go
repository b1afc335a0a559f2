package rest_test

import (
	"encoding/json"
	"net/http"
	"testing"
)

// A date alone as the upper bound of a range is the whole of that day (UTC),
// in GraphQL's DateRange and in /v1's end_date alike: from and to the same
// date find that day's entries.
func TestDateOnlyUpperBoundIncludesTheDay(t *testing.T) {
	f := newFixture(t, testConfig())
	// The day of the newest entry, so the test needs no knowledge of the demo.
	first := decodeV1(t, f.do(t, request{method: http.MethodPost, path: changeLogsPath, role: "owner", body: `{"take":1}`}).body)
	if len(first.Logs) == 0 {
		t.Fatal("no change logs in the demo")
	}
	day := first.Logs[0].Timestamp[:10]

	count := func(from, to string) int {
		t.Helper()
		body := f.graphql(t, "owner", `query($from: DateTime, $to: DateTime) { memberChangeLogs(organizationId: "`+acmePublicID+`", userId: "`+carolPublicID+`",
			filter: {timestamp: {from: $from, to: $to}}) { totalCount } }`, map[string]any{"from": from, "to": to})
		var out struct {
			Data struct {
				Logs struct {
					TotalCount int `json:"totalCount"`
				} `json:"memberChangeLogs"`
			} `json:"data"`
		}
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatal(err)
		}
		return out.Data.Logs.TotalCount
	}
	whole := count(day+"T00:00:00Z", day+"T23:59:59.999999999Z")
	if whole == 0 {
		t.Fatalf("no entries on %s", day)
	}
	if got := count(day, day); got != whole {
		t.Errorf("GraphQL from %s to %s: %d entries, the day holds %d", day, day, got, whole)
	}
	v1 := f.do(t, request{method: http.MethodPost, path: changeLogsPath, role: "owner",
		body: `{"start_date":"` + day + `","end_date":"` + day + `","take":100}`})
	if v1.status != 200 {
		t.Fatalf("/v1: %d %s", v1.status, v1.body)
	}
	if got := decodeV1(t, v1.body).TotalCount; got != whole {
		t.Errorf("/v1 start_date = end_date = %s: total_count %d, the day holds %d", day, got, whole)
	}
}
