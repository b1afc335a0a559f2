package export

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/auditgraph/auditgraph/model"
	"github.com/auditgraph/auditgraph/model/display"
)

// Formats.
const (
	NDJSON = "ndjson"
	CSV    = "csv"
)

// PageSize is the entries read per statement.
const PageSize = model.PageSizeCeiling

// Histories, as the endpoint names them.
const (
	AttributeAssignments = "attribute-assignments"
	EventTypes           = "event-types"
	MemberChangeLogs     = "member-change-logs"
)

// Job is one export: a history's filter (as its connection built it), the
// organization its import lines name, where to start, and the format.
type Job struct {
	// Filter is a model.AttributeHistoryFilter, EventTypeHistoryFilter or
	// MemberChangeLogFilter.
	Filter any
	// OrganizationID is the organization import lines name (event type
	// entries: the event type's organization).
	OrganizationID int64
	// After is the id of the entry to start after ("" from the newest).
	After  string
	Format string
}

// First reads the first page, so that a bad cursor is refused before
// anything is written. Write continues from it.
func First(ctx context.Context, s model.HistoryReader, j Job) (*Stream, error) {
	st := &Stream{s: s, j: j}
	if err := st.read(ctx); err != nil {
		return nil, err
	}
	return st, nil
}

// Stream is an export under way.
type Stream struct {
	s     model.HistoryReader
	j     Job
	lines []line
	more  bool
	last  string
	// Written counts the entries written.
	Written int
}

// line is one entry, in both formats.
type line struct {
	cursor string
	json   any
	row    []string
}

func (st *Stream) read(ctx context.Context) error {
	p := model.PageArgs{Limit: PageSize, Cursor: st.j.After}
	if st.last != "" {
		p.Cursor = st.last
	}
	st.lines = st.lines[:0]
	switch f := st.j.Filter.(type) {
	case model.AttributeHistoryFilter:
		page, err := st.s.AttributeHistory(ctx, f, p)
		return take(st, page.Items, page.More, err, attributeLine)
	case model.EventTypeHistoryFilter:
		page, err := st.s.EventTypeHistory(ctx, f, p)
		return take(st, page.Items, page.More, err, func(e *model.EventTypeEntry) line { return eventTypeLine(e, st.j.OrganizationID) })
	case model.MemberChangeLogFilter:
		page, err := st.s.MemberChangeLogs(ctx, f, p)
		return take(st, page.Items, page.More, err, changeLogLine)
	default:
		return fmt.Errorf("export: no history for filter %T", f)
	}
}

// take keeps a page's entries as lines, whichever history they come from.
func take[T any](st *Stream, items []T, more bool, err error, toLine func(*T) line) error {
	if err != nil {
		return err
	}
	for i := range items {
		st.lines = append(st.lines, toLine(&items[i]))
	}
	st.more = more
	return nil
}

// Header is the CSV header row of the job's history: its own columns,
// then its plain columns (plain.go).
func (st *Stream) header() []string {
	switch st.j.Filter.(type) {
	case model.AttributeHistoryFilter:
		return append([]string{"cursor", "id", "timestamp", "source", "actor_type", "actor_ref", "actor_name", "actor_email", "membership_id", "changes", "source_context"},
			plainHeader(reflect.TypeFor[model.AttributePlain]())...)
	case model.EventTypeHistoryFilter:
		return append([]string{"cursor", "id", "timestamp", "action", "type", "source", "actor_type", "actor_ref", "actor_name", "actor_email", "impersonated_by_name", "impersonated_by_email", "payload"},
			plainHeader(reflect.TypeFor[model.EventTypePlain]())...)
	default:
		return append([]string{"cursor", "id", "timestamp", "action", "resource_type", "resource_id", "resource_name", "actor_user_id", "changes"},
			plainHeader(reflect.TypeFor[model.ChangeLogPlain]())...)
	}
}

// Write writes every page to w, newest entry first (the connection's
// order). On an error, what was written is whole lines; the cursor of the
// last one resumes.
func (st *Stream) Write(ctx context.Context, w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var cw *csv.Writer
	if st.j.Format == CSV {
		cw = csv.NewWriter(bw)
		if err := cw.Write(st.header()); err != nil {
			return err
		}
	}
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for {
		for _, l := range st.lines {
			var err error
			if cw != nil {
				err = cw.Write(l.row)
			} else {
				err = enc.Encode(l.json)
			}
			if err != nil {
				return err
			}
			st.last = l.cursor
			st.Written++
		}
		if cw != nil {
			cw.Flush()
			if err := cw.Error(); err != nil {
				return err
			}
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		if f, ok := w.(interface{ Flush() }); ok {
			f.Flush()
		}
		if !st.more || len(st.lines) == 0 {
			return nil
		}
		if err := st.read(ctx); err != nil {
			return err
		}
	}
}

// LastCursor is the connection cursor of the last entry written.
func (st *Stream) LastCursor() string {
	if st.last == "" {
		return ""
	}
	return model.EncodeCursor(st.kind(), st.last)
}

func (st *Stream) kind() string {
	switch st.j.Filter.(type) {
	case model.AttributeHistoryFilter:
		return model.CursorAttributeHistory
	case model.EventTypeHistoryFilter:
		return model.CursorEventTypeHistory
	}
	return model.CursorMemberChangeLogs
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// idempotencyKey is the key as its writer sent it: stored keys carry their
// organization ("7:key"), which import adds again.
func idempotencyKey(stored *string) *string {
	if stored == nil {
		return nil
	}
	_, k, ok := strings.Cut(*stored, ":")
	if !ok {
		return stored
	}
	return &k
}

// cell keeps a spreadsheet from running a cell as a formula: values are
// the tenants' own (actor names, resource names), so a leading =, +, -, @,
// tab or carriage return gets a quote in front (OWASP's CSV injection).
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

type valueLine struct {
	OptionID   string   `json:"optionId"`
	OptionSlug string   `json:"optionSlug"`
	Value      string   `json:"value"`
	Weight     *float64 `json:"weight,omitempty"`
}

type attributeChangeLine struct {
	AttributeID string     `json:"attributeId"`
	Type        string     `json:"type"`
	Previous    *valueLine `json:"previous,omitempty"`
	Current     *valueLine `json:"current,omitempty"`
}

func value(v *display.AttributeValue) *valueLine {
	if v == nil {
		return nil
	}
	return &valueLine{OptionID: v.OptionID, OptionSlug: v.OptionSlug, Value: v.Value, Weight: v.Weight}
}

// The lines carry each history's plain columns (model.EventTypePlain, …)
// whole, under their json names, so the import takes back every column it
// exported, one added later included.

func attributeLine(e *model.AttributeAssignmentEntry) line {
	cursor := model.EncodeCursor(model.CursorAttributeHistory, e.ID)
	var changes []attributeChangeLine
	var bad *string
	if stored, err := display.ParseAttributeChanges([]byte(e.Changes)); err == nil && len(stored) > 0 {
		for _, c := range stored {
			changes = append(changes, attributeChangeLine{AttributeID: c.Attribute.ID, Type: c.Type, Previous: value(c.Previous), Current: value(c.Current)})
		}
	} else {
		bad = &e.Changes
	}
	ctx := json.RawMessage(e.SourceContext)
	if !json.Valid(ctx) {
		ctx = json.RawMessage("{}")
	}
	return line{cursor: e.ID,
		json: struct {
			Kind           string                `json:"kind"`
			ID             string                `json:"id"`
			Cursor         string                `json:"cursor"`
			OrganizationID int64                 `json:"organizationId"`
			UserID         int64                 `json:"userId"`
			Timestamp      string                `json:"timestamp"`
			Source         string                `json:"source"`
			Actor          model.ActorSnapshot   `json:"actor"`
			SourceContext  json.RawMessage       `json:"sourceContext"`
			Changes        []attributeChangeLine `json:"changes,omitempty"`
			Unreadable     *string               `json:"unreadable,omitempty"`
			IdempotencyKey *string               `json:"idempotencyKey,omitempty"`
			model.AttributePlain
		}{"attributeChange", e.ID, cursor, e.OrganizationID, e.UserID, stamp(e.Timestamp), e.Source, e.Actor, ctx, changes, bad, idempotencyKey(e.IdempotencyKey), e.AttributePlain},
		row: append([]string{cursor, e.ID, stamp(e.Timestamp), e.Source, e.Actor.Type, cell(deref(e.Actor.Ref)), cell(deref(e.Actor.Name)), cell(deref(e.Actor.Email)),
			strconv.FormatInt(e.MembershipID, 10), e.Changes, e.SourceContext}, plainCells(e.AttributePlain)...),
	}
}

func eventTypeLine(e *model.EventTypeEntry, orgID int64) line {
	cursor := model.EncodeCursor(model.CursorEventTypeHistory, e.ID)
	payload, bad := json.RawMessage(e.Payload), (*string)(nil)
	if display.CheckEventTypePayload(e.Action, []byte(e.Payload)) != nil {
		payload, bad = nil, &e.Payload
	}
	var imp *model.PersonSnapshot
	if e.ImpersonatedBy.Present() {
		imp = &e.ImpersonatedBy
	}
	return line{cursor: e.ID,
		json: struct {
			Kind           string                `json:"kind"`
			ID             string                `json:"id"`
			Cursor         string                `json:"cursor"`
			OrganizationID int64                 `json:"organizationId"`
			EventTypeID    int64                 `json:"eventTypeId"`
			Timestamp      string                `json:"timestamp"`
			Action         string                `json:"action"`
			Source         string                `json:"source"`
			Actor          model.ActorSnapshot   `json:"actor"`
			ImpersonatedBy *model.PersonSnapshot `json:"impersonatedBy,omitempty"`
			Payload        json.RawMessage       `json:"payload,omitempty"`
			Unreadable     *string               `json:"unreadable,omitempty"`
			IdempotencyKey *string               `json:"idempotencyKey,omitempty"`
			model.EventTypePlain
		}{"eventTypeChange", e.ID, cursor, orgID, e.EventTypeID, stamp(e.Timestamp), e.Action, e.Source, e.Actor, imp, payload, bad, idempotencyKey(e.IdempotencyKey), e.EventTypePlain},
		row: append([]string{cursor, e.ID, stamp(e.Timestamp), e.Action, e.Type, e.Source, e.Actor.Type, cell(deref(e.Actor.Ref)), cell(deref(e.Actor.Name)), cell(deref(e.Actor.Email)),
			cell(deref(e.ImpersonatedBy.Name)), cell(deref(e.ImpersonatedBy.Email)), e.Payload}, plainCells(e.EventTypePlain)...),
	}
}

func changeLogLine(e *model.MemberChangeLog) line {
	cursor := model.EncodeCursor(model.CursorMemberChangeLogs, e.ID)
	changes, bad := json.RawMessage(e.Changes), (*string)(nil)
	if _, err := display.ParseMemberChanges([]byte(e.Changes)); err != nil {
		changes, bad = nil, &e.Changes
	}
	return line{cursor: e.ID,
		json: struct {
			Kind           string          `json:"kind"`
			ID             string          `json:"id"`
			Cursor         string          `json:"cursor"`
			OrganizationID int64           `json:"organizationId"`
			ActorID        int64           `json:"actorId"`
			Timestamp      string          `json:"timestamp"`
			Action         string          `json:"action"`
			ResourceType   string          `json:"resourceType"`
			ResourceID     string          `json:"resourceId"`
			ResourceName   *string         `json:"resourceName,omitempty"`
			Changes        json.RawMessage `json:"changes,omitempty"`
			Unreadable     *string         `json:"unreadable,omitempty"`
			IdempotencyKey *string         `json:"idempotencyKey,omitempty"`
			model.ChangeLogPlain
		}{"memberChangeLog", e.ID, cursor, e.OrganizationID, e.ActorUserID, stamp(e.Timestamp), e.Action, e.ResourceType, e.ResourceID, e.ResourceName, changes, bad, idempotencyKey(e.IdempotencyKey), e.ChangeLogPlain},
		row: append([]string{cursor, e.ID, stamp(e.Timestamp), e.Action, e.ResourceType, cell(e.ResourceID), cell(deref(e.ResourceName)),
			strconv.FormatInt(e.ActorUserID, 10), e.Changes}, plainCells(e.ChangeLogPlain)...),
	}
}
