package rest_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/db/seed"
	"github.com/auditgraph/auditgraph/model"
)

// The golden cases of each endpoint: pages, bounds, filters, and every error
// status with its envelope. The contract test validates all their responses.

func attributeCases() []goldenCase {
	get := func(path, role string) request { return request{path: path, role: role} }
	first2 := get(attributePath+"?limit=2", "admin")
	return []goldenCase{
		{name: "first-page-default-limit", req: get(attributePath, "admin"), status: 200, check: logCount(25)},
		{name: "limit-1", req: get(attributePath+"?limit=1", "admin"), status: 200, check: logCount(1)},
		{name: "limit-50", req: get(attributePath+"?limit=50", "owner"), status: 200, check: logCount(50)},
		{name: "next-page", req: get(attributePath+"?limit=2", "admin"), cursorFrom: &first2, status: 200, check: logCount(2)},
		{name: "auditor-custom-role", req: get(attributePath+"?limit=1", "auditor"), status: 200},
		{name: "empty-history", req: get("/v2/organizations/1/attributes/assignments/21/history", "admin"), status: 200, check: logCount(0)},
		{name: "400-limit-0", req: get(attributePath+"?limit=0", "admin"), status: 400},
		{name: "400-limit-51", req: get(attributePath+"?limit=51", "admin"), status: 400},
		{name: "400-limit-not-integer", req: get(attributePath+"?limit=2.5", "admin"), status: 400},
		{name: "400-cursor-not-uuid", req: get(attributePath+"?cursor=abc", "admin"), status: 400},
		{name: "400-cursor-of-other-history", req: get(attributePath+"?cursor=019bacad-18de-7a85-9701-000000000000", "admin"), status: 400},
		{name: "400-cursor-too-long", req: get(attributePath+"?cursor="+strings.Repeat("a", 2049), "admin"), status: 400},
		{name: "400-org-id-not-numeric", req: get("/v2/organizations/acme/attributes/assignments/3/history", "admin"), status: 400},
		{name: "401-no-key", req: get(attributePath, ""), status: 401},
		{name: "401-unknown-key", req: get(attributePath, "unknown"), status: 401},
		{name: "401-key-without-prefix", req: get(attributePath, "noprefix"), status: 401},
		{name: "403-plain-member", req: get(attributePath, "member"), status: 403},
		{name: "403-other-organization", req: get(attributePath, "outsider"), status: 403},
		{name: "404-user-not-member", req: get("/v2/organizations/1/attributes/assignments/5/history", "admin"), status: 404},
		{name: "404-user-unknown", req: get("/v2/organizations/1/attributes/assignments/999/history", "admin"), status: 404},
		{name: "404-organization-unknown", req: get("/v2/organizations/999/attributes/assignments/3/history", "admin"), status: 404},
		{name: "404-wrong-method", req: request{method: http.MethodPost, path: attributePath, role: "admin"}, status: 404},
		{name: "404-unknown-route", req: get("/v2/organizations/1/attributes?x=1", "admin"), status: 404},
		{name: "429-rate-limited", req: get(attributePath+"?limit=1", "admin"), limited: true, status: 429},
	}
}

func eventTypeCases() []goldenCase {
	get := func(path, role string) request { return request{path: path, role: role, version: calVersion} }
	first3 := get(eventTypePath+"?limit=3", "admin")
	return []goldenCase{
		{name: "first-page-default-limit", req: get(eventTypePath, "admin"), status: 200, check: logCount(25)},
		{name: "limit-1", req: get(eventTypePath+"?limit=1", "admin"), status: 200, check: logCount(1)},
		{name: "limit-50", req: get(eventTypePath+"?limit=50", "owner"), status: 200, check: logCount(50)},
		{name: "next-page", req: get(eventTypePath+"?limit=3", "admin"), cursorFrom: &first3, status: 200, check: logCount(3)},
		{name: "next-page-base64-cursor", req: get(eventTypePath+"?limit=3", "admin"), cursorFrom: &first3, base64Cursor: true, status: 200, check: logCount(3)},
		{name: "400-cursor-empty", req: get(eventTypePath+"?cursor=", "admin"), status: 400},
		{name: "personal-owner", req: get("/v2/event-types/1/history?limit=2", "member"), status: 200},
		{name: "deleted-entry", req: get("/v2/event-types/5/history?limit=1", "admin"), status: 200},
		{name: "empty-history", req: get("/v2/event-types/8/history", "admin"), status: 200, check: logCount(0)},
		{name: "404-no-version-header", req: request{path: eventTypePath + "?limit=1", role: "admin"}, status: 404},
		{name: "404-other-version", req: request{path: eventTypePath, role: "admin", version: "2024-04-15"}, status: 404},
		{name: "400-limit-0", req: get(eventTypePath+"?limit=0", "admin"), status: 400},
		{name: "400-limit-51", req: get(eventTypePath+"?limit=51", "admin"), status: 400},
		{name: "400-limit-not-integer", req: get(eventTypePath+"?limit=ten", "admin"), status: 400},
		{name: "400-cursor-garbage", req: get(eventTypePath+"?cursor=not-a-cursor", "admin"), status: 400},
		{name: "400-cursor-of-other-history", req: get(eventTypePath+"?cursor=019be122-1d35-7cc9-99d5-000000000000", "admin"), status: 400},
		{name: "400-event-type-id-not-numeric", req: get("/v2/event-types/abc/history", "admin"), status: 400},
		{name: "401-no-key", req: get(eventTypePath, ""), status: 401},
		{name: "401-unknown-key", req: get(eventTypePath, "unknown"), status: 401},
		{name: "401-key-without-prefix", req: get(eventTypePath, "noprefix"), status: 401},
		{name: "403-team-member", req: get(eventTypePath, "member"), status: 403},
		{name: "403-other-organization", req: get(eventTypePath, "outsider"), status: 403},
		{name: "404-event-type-unknown", req: get("/v2/event-types/6981260/history", "admin"), status: 404},
		{name: "404-unknown-route", req: get("/v2/event-types/2", "admin"), status: 404},
		{name: "429-rate-limited", req: get(eventTypePath+"?limit=1", "admin"), limited: true, status: 429},
	}
}

func changeLogsCases() []goldenCase {
	post := func(body, role string) request {
		return request{method: http.MethodPost, path: changeLogsPath, role: role, body: body}
	}
	at := func(path string) request {
		return request{method: http.MethodPost, path: path, role: "owner", body: `{}`}
	}
	return []goldenCase{
		{name: "first-page-defaults", req: post("", "owner"), status: 200, check: takeIs(50, 50)},
		{name: "skip-take", req: post(`{"skip":10,"take":5}`, "admin"), status: 200, check: takeIs(5, 5)},
		{name: "take-100", req: post(`{"take":100}`, "owner"), status: 200, check: takeIs(100, 73)},
		{name: "skip-past-the-end", req: post(`{"skip":1000}`, "owner"), status: 200, check: takeIs(50, 0)},
		{name: "filter-start-date", req: post(`{"start_date":"2026-01-20T00:00:00Z"}`, "owner"), status: 200,
			check: sameAsStore(model.MemberChangeLogFilter{TimeRange: since("2026-01-20T00:00:00Z")})},
		{name: "filter-end-date", req: post(`{"end_date":"2026-01-07T12:00:00.000Z","take":100}`, "owner"), status: 200,
			check: sameAsStore(model.MemberChangeLogFilter{TimeRange: until("2026-01-07T12:00:00Z")})},
		{name: "filter-date-range", req: post(`{"start_date":"2026-01-12","end_date":"2026-01-15T12:00:00+02:00","take":100}`, "owner"), status: 200,
			check: sameAsStore(model.MemberChangeLogFilter{TimeRange: model.TimeRange{From: since("2026-01-12T00:00:00Z").From, To: until("2026-01-15T10:00:00Z").To}})},
		{name: "filter-resource-type", req: post(`{"resource_type":"organization_user","take":100}`, "owner"), status: 200,
			check: sameAsStore(model.MemberChangeLogFilter{ResourceType: "organization_user"})},
		{name: "filter-action", req: post(`{"action":"entity_attached","take":100}`, "owner"), status: 200,
			check: sameAsStore(model.MemberChangeLogFilter{Action: "entity_attached"})},
		{name: "filter-all", req: post(`{"skip":1,"take":3,"start_date":"2026-01-06","end_date":"2026-02-01","resource_type":"organization_user","action":"updated"}`, "owner"), status: 200},
		{name: "filter-matching-nothing", req: post(`{"resource_type":"document","action":"entity_detached","start_date":"2030-01-01"}`, "owner"), status: 200, check: takeIs(50, 0)},
		{name: "empty-history", req: at("/v1/organizations/" + acmePublicID + "/users/" + quietUserPublicID + "/change-logs"), status: 200, check: takeIs(50, 0)},
		{name: "422-take-0", req: post(`{"take":0}`, "owner"), status: 422},
		{name: "422-take-500", req: post(`{"take":500}`, "owner"), status: 422},
		{name: "422-take-not-integer", req: post(`{"take":"ten"}`, "owner"), status: 422},
		{name: "422-skip-negative", req: post(`{"skip":-1}`, "owner"), status: 422},
		{name: "422-skip-beyond-offset-limit", req: post(`{"skip":1000001}`, "owner"), status: 422},
		{name: "422-start-date", req: post(`{"start_date":"yesterday"}`, "owner"), status: 422},
		{name: "422-end-date", req: post(`{"end_date":20260101}`, "owner"), status: 422},
		{name: "422-resource-type", req: post(`{"resource_type":"ORGANIZATION_USER"}`, "owner"), status: 422},
		{name: "422-action", req: post(`{"action":"renamed"}`, "owner"), status: 422},
		{name: "422-body-not-json", req: post(`take=5`, "owner"), status: 422},
		{name: "422-body-not-object", req: post(`[1,2]`, "owner"), status: 422},
		{name: "422-user-id-not-public", req: at("/v1/organizations/" + acmePublicID + "/users/3/change-logs"), status: 422},
		{name: "401-no-key", req: post(`{}`, ""), status: 401},
		{name: "401-unknown-key", req: post(`{}`, "unknown"), status: 401},
		{name: "401-expired-key", req: post(`{}`, "expired"), status: 401},
		{name: "401-revoked-key", req: post(`{}`, "revoked"), status: 401},
		{name: "403-member", req: post(`{}`, "member"), status: 403},
		{name: "403-attribute-auditor", req: post(`{}`, "auditor"), status: 403},
		{name: "403-other-organization", req: post(`{}`, "outsider"), status: 403},
		{name: "404-user-not-member", req: at("/v1/organizations/" + acmePublicID + "/users/" + erinPublicID + "/change-logs"), status: 404},
		{name: "404-user-unknown", req: at("/v1/organizations/" + acmePublicID + "/users/usr_nobody/change-logs"), status: 404},
		// An unknown organization answers as one the caller is not in.
		{name: "403-organization-unknown", req: at("/v1/organizations/org_nowhere/users/" + carolPublicID + "/change-logs"), status: 403},
		{name: "404-unknown-route", req: at("/v1/organizations/" + acmePublicID + "/users"), status: 404},
		{name: "405-wrong-method", req: request{path: changeLogsPath, role: "owner"}, status: 405},
		{name: "429-rate-limited", req: post(`{"take":1}`, "owner"), limited: true, status: 429},
	}
}

// takeIs checks the echoed take and the page length.
func takeIs(take, n int) func(t *testing.T, f *fixture, body []byte) {
	return func(t *testing.T, f *fixture, body []byte) {
		p := decodeV1(t, body)
		if p.Take != take || len(p.Logs) != n {
			t.Errorf("take %d with %d logs, want %d with %d", p.Take, len(p.Logs), take, n)
		}
	}
}

func since(s string) model.TimeRange {
	t, _ := time.Parse(time.RFC3339, s)
	return model.TimeRange{From: &t}
}

func until(s string) model.TimeRange {
	t, _ := time.Parse(time.RFC3339, s)
	return model.TimeRange{To: &t}
}

// sameAsStore checks a filtered page against the store read with the same
// filter: the same entries, in the same order, and the same total.
func sameAsStore(filter model.MemberChangeLogFilter) func(t *testing.T, f *fixture, body []byte) {
	return func(t *testing.T, f *fixture, body []byte) {
		filter.OrganizationID, filter.UserID, filter.UserPublicID = seed.AcmeID, seed.MemberUserID, carolPublicID
		ctx := context.Background()
		page, err := f.store.MemberChangeLogs(ctx, filter, model.PageArgs{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		p := decodeV1(t, body)
		if p.TotalCount != len(page.Items) || p.TotalCount == 0 {
			t.Errorf("total_count %d, the store has %d", p.TotalCount, len(page.Items))
		}
		want := ids(page.Items, func(e model.MemberChangeLog) string { return e.ID })
		if len(want) > p.Take {
			want = want[:p.Take]
		}
		sameIDs(t, ids(p.Logs, func(l v1Log) string { return l.ID }), want)
	}
}
