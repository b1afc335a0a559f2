package ingest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/auditgraph/auditgraph/db/seed"
	"github.com/auditgraph/auditgraph/ingest"
)

const acmePublicID = "org_acme7f3k2q9x1b5m8n4v"

// rest calls a REST endpoint with the reader key (a bearer token on /v2,
// X-API-Key on /v1) and decodes the 200 response.
func (e *writeEnv) rest(method, path, body string) map[string]any {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if strings.HasPrefix(path, "/v1/") {
		req.Header.Set("X-API-Key", e.keys["reader"])
	} else {
		req.Header.Set("Authorization", "Bearer "+e.keys["reader"])
		req.Header.Set("cal-api-version", "2024-06-14")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		e.t.Fatalf("%s %s: %s: %v", method, path, raw, err)
	}
	return out
}

// restBack reads the three histories of the fixture member and event type
// through REST. Entry ids and the fixture's own ids are dropped, and its
// public id and email replaced, so that two fixtures compare equal.
func (e *writeEnv) restBack(user, eventType int) map[string]any {
	e.t.Helper()
	u, err := e.store.UserByID(context.Background(), int64(user))
	if err != nil {
		e.t.Fatal(err)
	}
	h := map[string]any{
		"attributes": e.rest(http.MethodGet, fmt.Sprintf("/v2/organizations/%d/attributes/assignments/%d/history?limit=50", seed.AcmeID, user), ""),
		"eventTypes": e.rest(http.MethodGet, fmt.Sprintf("/v2/event-types/%d/history?limit=50", eventType), ""),
		"changeLogs": e.rest(http.MethodPost, "/v1/organizations/"+acmePublicID+"/users/"+u.PublicID+"/change-logs", `{"take":50}`),
	}
	for _, logs := range [][]any{
		path(e.t, h, "attributes", "data", "auditLogs").([]any),
		path(e.t, h, "eventTypes", "data", "auditLogs").([]any),
		path(e.t, h, "changeLogs", "logs").([]any),
	} {
		for _, l := range logs {
			delete(l.(map[string]any), "id")
		}
	}
	for _, k := range []string{"userId", "membershipId", "eventTypeId"} {
		delete(path(e.t, h, "attributes", "data").(map[string]any), k)
		delete(path(e.t, h, "eventTypes", "data").(map[string]any), k)
	}
	raw, _ := json.Marshal(h)
	raw = bytes.ReplaceAll(raw, []byte(u.PublicID), []byte("<member>"))
	raw = bytes.ReplaceAll(raw, []byte(fmt.Sprintf("new%d@", user)), []byte("<member>@"))
	var norm map[string]any
	if err := json.Unmarshal(raw, &norm); err != nil {
		e.t.Fatal(err)
	}
	return norm
}

// TestWriteRoundTripREST writes the fixtures through the mutations and
// through import, and reads them back through the REST endpoints: both
// render the same, and as the contract says, for every action, change type
// and value kind.
func TestWriteRoundTripREST(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *writeEnv) {
		var synced map[string]map[string]int
		e.ok("writer", syncMutation, map[string]any{"org": seed.AcmeID, "input": directory(3000)}, &synced)
		for _, m := range []struct {
			query   string
			entries []map[string]any
		}{
			{recordAttributes, attributeEntries(3000)},
			{recordEventTypes, eventTypeEntries(3000)},
			{recordChangeLogs, changeLogEntries(3000)},
		} {
			var res map[string][]recorded
			e.ok("writer", m.query, map[string]any{"org": acmePublicID, "entries": m.entries}, &res)
		}
		api := e.restBack(3000, 3000)
		checkRESTRendering(t, api)

		nd := importFile(directory(4000), 4000)
		sum, err := importBytes(e, nd)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Rejected != 0 || sum.TotalImported() != 16 {
			t.Fatalf("import summary %+v", sum)
		}
		imported := e.restBack(4000, 4000)
		if !reflect.DeepEqual(api, imported) {
			a, _ := json.MarshalIndent(api, "", " ")
			b, _ := json.MarshalIndent(imported, "", " ")
			t.Fatalf("import renders differently from the API over REST:\napi: %s\nimport: %s", a, b)
		}
		checkRESTRendering(t, imported)
	})
}

// fieldKinds lists the display fields of an entry as "label=kind".
func fieldKinds(t *testing.T, entry any) []string {
	t.Helper()
	var out []string
	for _, f := range path(t, entry, "displayFields").([]any) {
		out = append(out, fmt.Sprintf("%s=%s", path(t, f, "label"), path(t, f, "fieldValue", "type")))
	}
	return out
}

func checkRESTRendering(t *testing.T, h map[string]any) {
	t.Helper()
	// Attribute assignment history, newest first: every change type.
	attr := path(t, h, "attributes", "data", "auditLogs").([]any)
	if len(attr) != 4 {
		t.Fatalf("%d attribute entries, want 4", len(attr))
	}
	wantTypes := [][]string{{"UNASSIGNED"}, {"VALUE_CHANGED"}, {"WEIGHT_CHANGED", "ASSIGNED"}, {"ASSIGNED"}}
	for i, want := range wantTypes {
		var got []string
		for _, c := range path(t, attr[i], "changes").([]any) {
			got = append(got, path(t, c, "type").(string))
		}
		if !reflect.DeepEqual(got, want) || path(t, attr[i], "hasError") != false {
			t.Fatalf("attribute entry %d: change types %v, want %v: %s", i, got, want, jsonText(attr[i]))
		}
	}
	if got := jsonText(path(t, attr[3], "changes", 0)); got != `{"attribute":{"id":"attr_dept","name":"Department","slug":"department","type":"SINGLE_SELECT"},"current":{"optionId":"opt_sales","optionSlug":"sales","value":"Sales","weight":10},"previous":null,"type":"ASSIGNED"}` {
		t.Fatalf("assigned change %s", got)
	}
	if got := jsonText(path(t, attr[1], "changes", 0)); got != `{"attribute":{"id":"attr_location","name":"Location","slug":"location","type":"TEXT"},"current":{"optionId":"opt_location","optionSlug":"location","value":"Berlin","weight":null},"previous":{"optionId":"opt_location","optionSlug":"location","value":"Lisbon","weight":null},"type":"VALUE_CHANGED"}` {
		t.Fatalf("value change %s", got)
	}
	if got := jsonText(path(t, attr[0], "changes", 0, "previous")); got != `{"optionId":"opt_sales","optionSlug":"sales","value":"Sales","weight":20}` {
		t.Fatalf("unassigned change %s", got)
	}
	if got := jsonText(path(t, attr[2], "sourceContext")); got != `{"job":"nightly"}` {
		t.Fatalf("sourceContext %s", got)
	}
	if got := path(t, attr[2], "actor", "displayName"); got != "Okta" {
		t.Fatalf("actor %v", got)
	}
	if got := path(t, attr[3], "timestamp"); got != "2026-03-01T10:00:00.123Z" {
		t.Fatalf("timestamp %v", got)
	}

	// Event type history, newest first: every action and value kind.
	et := path(t, h, "eventTypes", "data", "auditLogs").([]any)
	if len(et) != 4 {
		t.Fatalf("%d event type entries, want 4", len(et))
	}
	for i, want := range []string{"EVENT_TYPE_DELETED", "EVENT_TYPE_MODIFIED", "EVENT_TYPE_MODIFIED", "EVENT_TYPE_CREATED"} {
		// hasError is sent only when true (as the live service).
		if _, hasErr := et[i].(map[string]any)["hasError"]; path(t, et[i], "action") != want || hasErr {
			t.Fatalf("event type entry %d: %s", i, jsonText(et[i]))
		}
	}
	for i, want := range []string{"Cal.com deleted the event type", "", "", "Alice Owner created the event type"} {
		if want != "" && path(t, et[i], "actionDisplayTitle") != want {
			t.Fatalf("event type entry %d: title %v, want %q", i, path(t, et[i], "actionDisplayTitle"), want)
		}
	}
	if got := strings.Join(fieldKinds(t, et[3]), ","); got != "Booking questions=rawValues,Description=rawValue,Hidden=rawValue,Duration=rawValue,Locations=rawValues,Title=rawValue" {
		t.Fatalf("created field kinds %s", got)
	}
	if got := strings.Join(fieldKinds(t, et[2]), ","); got != "Booking questions=diff,Description=valueChange,Duration=valueChange,Locations=diff,Title=valueChange" {
		t.Fatalf("modified field kinds %s", got)
	}
	if got := jsonText(path(t, et[3], "displayFields", 0, "fieldValue")); got != `{"type":"rawValues","values":["{\"id\":\"name\",\"label\":\"Your name\",\"required\":true}"]}` {
		t.Fatalf("rawValues %s", got)
	}
	if got := jsonText(path(t, et[3], "displayFields", 1, "fieldValue")); got != `{"type":"rawValue","value":"null"}` {
		t.Fatalf("rawValue %s", got)
	}
	if got := jsonText(path(t, et[2], "displayFields", 1, "fieldValue")); got != `{"next":"Agenda","previous":"null","type":"valueChange"}` {
		t.Fatalf("valueChange %s", got)
	}
	if got := jsonText(path(t, et[2], "displayFields", 3, "fieldValue")); got != `{"next":"[\n  {\n    \"address\": \"1 Main St\",\n    \"type\": \"inPerson\"\n  }\n]","previous":"[]","type":"diff"}` {
		t.Fatalf("diff %s", got)
	}
	if got := jsonText(path(t, et[2], "displayFields", 4, "fieldValue")); got != `{"next":"Fresh <v2>","previous":"Fresh","type":"valueChange"}` {
		t.Fatalf("title change %s", got)
	}
	if got := path(t, et[2], "impersonatedBy", "displayName"); got != "Support Agent" {
		t.Fatalf("impersonatedBy %v", got)
	}
	if got := jsonText(path(t, et[1], "displayFields")); got != `[{"fieldValue":{"next":"15","previous":"0","type":"valueChange"},"label":"Price"}]` {
		t.Fatalf("payload entry %s", got)
	}
	if got := jsonText(path(t, et[0], "displayFields", 5)); got != `{"fieldValue":{"type":"rawValue","value":"Fresh <v2>"},"label":"Title"}` {
		t.Fatalf("deleted field %s", got)
	}

	// v1 change logs, newest first: every action, and the changes as strings.
	cl := path(t, h, "changeLogs").(map[string]any)
	logs := cl["logs"].([]any)
	if cl["total_count"] != float64(8) || len(logs) != 8 {
		t.Fatalf("change logs: total_count %v, %d logs", cl["total_count"], len(logs))
	}
	var actions []string
	for _, l := range logs {
		actions = append(actions, path(t, l, "action").(string))
	}
	// v1 spells actions in lower case.
	if strings.Join(actions, ",") != "entity_detached,entity_attached,restored,removed,added,deleted,updated,created" {
		t.Fatalf("actions %v", actions)
	}
	if got := jsonText(path(t, logs[0], "changes")); got != `[{"field":"role","new_value":null,"old_value":"member"}]` {
		t.Fatalf("change log changes %s", got)
	}
	if got := jsonText(path(t, logs[1], "changes")); got != `[{"field":"enabled","new_value":"false","old_value":"true"}]` {
		t.Fatalf("change log changes %s", got)
	}
	if got := path(t, logs[0], "resource_type"); got != "organization_user" {
		t.Fatalf("resource_type %v", got)
	}
	if got := path(t, logs[1], "resource_name"); got != "Scheduler" {
		t.Fatalf("resource_name %v", got)
	}
	if got := path(t, logs[0], "user_email"); got != "<member>@acme.example" {
		t.Fatalf("user_email %v", got)
	}
}

// importFile is the NDJSON of a fixture: its directory records, then its
// entries.
func importFile(dir map[string]any, base int) []byte {
	var lines []map[string]any
	for _, u := range dir["users"].([]map[string]any) {
		lines = append(lines, with(u, "kind", "user"))
	}
	for _, m := range dir["memberships"].([]map[string]any) {
		if m["teamId"] == nil {
			m = with(m, "organizationId", seed.AcmeID)
		}
		lines = append(lines, with(m, "kind", "membership"))
	}
	for _, et := range dir["eventTypes"].([]map[string]any) {
		lines = append(lines, with(et, "kind", "eventType"))
	}
	for _, x := range attributeEntries(base) {
		lines = append(lines, with(with(x, "kind", "attributeChange"), "organizationId", seed.AcmeID))
	}
	for _, x := range eventTypeEntries(base) {
		lines = append(lines, with(with(x, "kind", "eventTypeChange"), "organizationId", acmePublicID))
	}
	for _, x := range changeLogEntries(base) {
		lines = append(lines, with(with(x, "kind", "memberChangeLog"), "organizationId", seed.AcmeID))
	}
	var nd bytes.Buffer
	for _, l := range lines {
		b, _ := json.Marshal(l)
		nd.Write(b)
		nd.WriteByte('\n')
	}
	return nd.Bytes()
}

func importBytes(e *writeEnv, nd []byte) (*ingest.Summary, error) {
	return ingest.Import(context.Background(), e.store, e.store, bytes.NewReader(nd), ingest.ImportOptions{})
}
