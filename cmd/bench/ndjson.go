package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"time"

	"github.com/auditgraph/auditgraph/db/seed"
	"github.com/auditgraph/auditgraph/ingest"
	"github.com/auditgraph/auditgraph/model"
	"github.com/auditgraph/auditgraph/model/display"
)

// The dataset as `auditgraph import` lines (the format of package ingest):
// a directory file (the demo directory, then the bench's organizations,
// teams, users, memberships, event types and attributes, each record after
// those it refers to), and an entries file of the three histories, one entry
// of each in turn in timestamp order, the way an export of a live system
// would come. Both are written streaming; nothing holds the entries.

// demo is what seed.Run writes, captured instead of stored: the demo
// directory (in seed.Run's order, which puts every record after those it
// refers to) and the demo history entries, the templates of the bench's.
type demo struct {
	model.Store // nil: seed.Run calling anything not captured below fails (see captureDemo)

	directory [][]byte         // import lines
	users     map[int64]string // public ids
	et        []model.EventTypeEntry
	aa        []model.AttributeAssignmentEntry
	cl        []model.MemberChangeLog
	attrs     []demoAttribute
}

type demoAttribute struct {
	attr    model.Attribute
	options []model.AttributeOption
}

// captureDemo runs seed.Run on a store that keeps what it is given.
func captureDemo(ctx context.Context) (d *demo, err error) {
	d = &demo{users: map[int64]string{}}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("seed.Run used a store method the bench does not capture: %v", r)
		}
	}()
	if _, err := seed.Run(ctx, d); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *demo) line(kind string, record any) error {
	b, err := kindLine(kind, record)
	if err == nil {
		d.directory = append(d.directory, b)
	}
	return err
}

// kindLine is record as an import line of that kind: its JSON object with
// "kind" first.
func kindLine(kind string, record any) ([]byte, error) {
	body, err := json.Marshal(record)
	if err != nil {
		return nil, err
	}
	if len(body) < 2 || body[0] != '{' {
		return nil, fmt.Errorf("%s record is not a JSON object", kind)
	}
	out := append([]byte(`{"kind":`), strconv.Quote(kind)...)
	if len(body) > 2 {
		out = append(out, ',')
	}
	return append(append(out, body[1:]...), '\n'), nil
}

func (d *demo) InTx(ctx context.Context, fn func(model.Store) error) error { return fn(d) }

func (d *demo) UpsertOrganization(_ context.Context, o *model.Organization) error {
	return d.line(ingest.KindOrganization, orgLine{ID: o.ID, PublicID: o.PublicID, Slug: o.Slug, Name: o.Name})
}

func (d *demo) UpsertTeam(_ context.Context, t *model.Team) error {
	return d.line(ingest.KindTeam, t)
}

func (d *demo) UpsertUser(_ context.Context, u *model.User) error {
	d.users[u.ID] = u.PublicID
	return d.line(ingest.KindUser, userLine{ID: u.ID, PublicID: u.PublicID, Email: u.Email, Name: u.Name, AvatarURL: u.AvatarURL})
}

func (d *demo) UpsertCustomRole(_ context.Context, r *model.CustomRole) error {
	return d.line(ingest.KindCustomRole, r)
}

func (d *demo) UpsertMembership(_ context.Context, m *model.Membership) error {
	return d.line(ingest.KindMembership, m)
}

func (d *demo) UpsertEventType(_ context.Context, e *model.EventType) error {
	return d.line(ingest.KindEventType, e)
}

func (d *demo) UpsertAttribute(_ context.Context, a *model.Attribute, options []model.AttributeOption) error {
	d.attrs = append(d.attrs, demoAttribute{attr: *a, options: append([]model.AttributeOption(nil), options...)})
	return d.line(ingest.KindAttribute, ingest.Attribute{Attribute: *a, Options: options})
}

func (d *demo) AppendEventTypeHistory(_ context.Context, e []model.EventTypeEntry) ([]model.EventTypeEntry, error) {
	d.et = append(d.et, e...)
	return e, nil
}

func (d *demo) AppendAttributeHistory(_ context.Context, e []model.AttributeAssignmentEntry) ([]model.AttributeAssignmentEntry, error) {
	d.aa = append(d.aa, e...)
	return e, nil
}

func (d *demo) AppendMemberChangeLogs(_ context.Context, e []model.MemberChangeLog) ([]model.MemberChangeLog, error) {
	d.cl = append(d.cl, e...)
	return e, nil
}

// CreateAPIKey drops the demo's keys: the bench makes its own.
func (d *demo) CreateAPIKey(context.Context, *model.APIKey) error { return nil }

// Directory records without the timestamps the store sets itself.
type orgLine struct {
	ID       int64  `json:"id"`
	PublicID string `json:"publicId,omitempty"`
	Slug     string `json:"slug"`
	Name     string `json:"name"`
}

type userLine struct {
	ID        int64   `json:"id"`
	PublicID  string  `json:"publicId,omitempty"`
	Email     string  `json:"email"`
	Name      *string `json:"name,omitempty"`
	AvatarURL *string `json:"avatarUrl,omitempty"`
}

// benchAttributeID is the id of a demo attribute or option copied into a
// bench organization: ids are global, so every organization has its own.
func benchAttributeID(id string, org int64) string {
	if org == hotOrgID {
		return id
	}
	return id + "_" + strconv.FormatInt(org, 10)
}

// writeDirectory writes the directory file and returns its record count.
func writeDirectory(path string, d *demo) (int, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	n := 0
	put := func(kind string, rec any) error {
		b, err := kindLine(kind, rec)
		if err != nil {
			return err
		}
		n++
		_, err = w.Write(b)
		return err
	}
	for _, l := range d.directory {
		if _, err := w.Write(l); err != nil {
			return 0, err
		}
		n++
	}
	for o := int64(benchOrgFirst); o <= benchOrgLast; o++ {
		org := o
		if err := put(ingest.KindOrganization, orgLine{ID: o, PublicID: fmt.Sprintf("org_bench%012d", o),
			Slug: fmt.Sprintf("bench-org-%d", o), Name: fmt.Sprintf("Bench Org %d", o)}); err != nil {
			return 0, err
		}
		if err := put(ingest.KindTeam, model.Team{ID: o, OrganizationID: &org, Slug: fmt.Sprintf("team-%d", o), Name: fmt.Sprintf("Team %d", o)}); err != nil {
			return 0, err
		}
		// The demo's attributes, so that the organization's members get
		// attribute changes like Acme's.
		for _, a := range d.attrs {
			attr := a.attr
			attr.ID, attr.OrganizationID = benchAttributeID(attr.ID, o), o
			opts := make([]model.AttributeOption, len(a.options))
			for i, op := range a.options {
				op.ID, op.AttributeID = benchAttributeID(op.ID, o), attr.ID
				opts[i] = op
			}
			if err := put(ingest.KindAttribute, ingest.Attribute{Attribute: attr, Options: opts}); err != nil {
				return 0, err
			}
		}
	}
	for u := int64(benchUserFirst); u <= benchUserLast; u++ {
		name := fmt.Sprintf("Bench User %d", u)
		if err := put(ingest.KindUser, userLine{ID: u, PublicID: fmt.Sprintf("usr_bench%012d", u),
			Email: fmt.Sprintf("user%d@bench.example", u), Name: &name}); err != nil {
			return 0, err
		}
		org, role := benchOrgOf(u), model.RoleMember
		if u%50 == 0 {
			role = model.RoleAdmin
		}
		if err := put(ingest.KindMembership, model.Membership{ID: membershipBase + u, UserID: u, OrganizationID: &org, Role: role}); err != nil {
			return 0, err
		}
	}
	for e := int64(benchETFirst); e <= benchETLast; e++ {
		team := benchOrgOf(e)
		if err := put(ingest.KindEventType, model.EventType{ID: e, Title: fmt.Sprintf("Event type %d", e),
			Slug: fmt.Sprintf("et-%d", e), TeamID: &team}); err != nil {
			return 0, err
		}
	}
	if err := w.Flush(); err != nil {
		return 0, err
	}
	return n, f.Close()
}

// benchOrgOf is the organization of a bench user, and the organization (and
// team: they share ids) of a bench event type.
func benchOrgOf(id int64) int64 { return benchOrgFirst + id%(benchOrgLast-benchOrgFirst+1) }

// entryTemplates are the demo entries as the fixed part of import lines:
// everything but the organization, the scope (event type, member, actor),
// the timestamp and the idempotency key, as JSON object members.
type entryTemplates struct {
	et    [][]byte           // event type changes
	aa    [][]byte           // attribute changes of Acme's attributes
	aaOrg map[int64][][]byte // the same for a bench organization's copies
	cl    []clTemplate

	// The demo's attribute entries and attribute types, for aaOrg.
	aaSrc     []model.AttributeAssignmentEntry
	attrTypes map[string]model.AttributeType
}

// clTemplate is a demo change log: fixed has its action and resource, on
// its action with the hot member as the resource; action is its action, for
// the lines of other organizations, whose resource must be one of their
// members (the import refuses another tenant's user).
type clTemplate struct {
	fixed, on []byte
	action    string
}

type clFixed struct {
	Action       string  `json:"action"`
	ResourceType string  `json:"resourceType"`
	ResourceID   string  `json:"resourceId"`
	ResourceName *string `json:"resourceName,omitempty"`
}

// members renders v's JSON object members without the braces (empty for {}).
func members(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if len(b) < 2 || b[0] != '{' {
		return nil, fmt.Errorf("not a JSON object: %.100s", b)
	}
	return b[1 : len(b)-1], nil
}

// templates turns the demo entries into line templates, leaving out the
// few the demo stores damaged on purpose (hasError rows): the import
// refuses them, as it should.
func templates(d *demo) (*entryTemplates, error) {
	t := &entryTemplates{aaOrg: map[int64][][]byte{}, attrTypes: map[string]model.AttributeType{}}
	for _, e := range d.et {
		if display.RenderEventTypePayload(e.Action, []byte(e.Payload)).HasError {
			continue
		}
		in := struct {
			Action         string          `json:"action"`
			Source         string          `json:"source"`
			Actor          ingest.Actor    `json:"actor"`
			ImpersonatedBy *ingest.Person  `json:"impersonatedBy,omitempty"`
			Payload        json.RawMessage `json:"payload"`
		}{Action: e.Action, Source: e.Source, Actor: e.Actor, Payload: json.RawMessage(e.Payload)}
		if e.ImpersonatedBy.Present() || e.ImpersonatedBy.Avatar != nil {
			in.ImpersonatedBy = &ingest.Person{Name: e.ImpersonatedBy.Name, Email: e.ImpersonatedBy.Email, Avatar: e.ImpersonatedBy.Avatar}
		}
		b, err := members(in)
		if err != nil {
			return nil, err
		}
		t.et = append(t.et, b)
	}
	for _, a := range d.attrs {
		t.attrTypes[a.attr.ID] = a.attr.Type
	}
	for _, e := range d.aa {
		if _, err := display.ParseAttributeChanges([]byte(e.Changes)); err != nil {
			continue
		}
		t.aaSrc = append(t.aaSrc, e)
	}
	var err error
	if t.aa, err = t.attributeTemplates(hotOrgID); err != nil {
		return nil, err
	}
	for _, e := range d.cl {
		fixed, err := members(clFixed{Action: e.Action, ResourceType: e.ResourceType, ResourceID: e.ResourceID, ResourceName: e.ResourceName})
		if err != nil {
			return nil, err
		}
		on, err := members(clFixed{Action: e.Action, ResourceType: model.ResourceOrganizationUser, ResourceID: d.users[hotUserID]})
		if err != nil {
			return nil, err
		}
		t.cl = append(t.cl, clTemplate{fixed: fixed, on: on, action: e.Action})
	}
	if d.users[hotUserID] == "" {
		return nil, fmt.Errorf("the demo has no user %d", hotUserID)
	}
	if len(t.et) == 0 || len(t.aa) == 0 || len(t.cl) == 0 {
		return nil, fmt.Errorf("the demo gave no entries to copy (%d event type, %d attribute, %d change log templates)", len(t.et), len(t.aa), len(t.cl))
	}
	return t, nil
}

// attributeTemplates are the attribute entry templates for org's copies of
// the demo attributes: the stored changes given back as input (option ids,
// weights, and the member's own value for text and number attributes).
func (t *entryTemplates) attributeTemplates(org int64) ([][]byte, error) {
	if org != hotOrgID {
		if out, ok := t.aaOrg[org]; ok {
			return out, nil
		}
	}
	value := func(attr string, v *display.AttributeValue) *ingest.AttributeValue {
		if v == nil {
			return nil
		}
		out := &ingest.AttributeValue{OptionID: benchAttributeID(v.OptionID, org), Weight: v.Weight}
		if typ := t.attrTypes[attr]; typ == model.AttributeText || typ == model.AttributeNumber {
			val := v.Value
			out.Value = &val
		}
		return out
	}
	var out [][]byte
	for _, e := range t.aaSrc {
		stored, _ := display.ParseAttributeChanges([]byte(e.Changes))
		changes := make([]ingest.AttributeChange, len(stored))
		for i, c := range stored {
			changes[i] = ingest.AttributeChange{AttributeID: benchAttributeID(c.Attribute.ID, org),
				Previous: value(c.Attribute.ID, c.Previous), Current: value(c.Attribute.ID, c.Current)}
		}
		b, err := members(struct {
			Source        string                   `json:"source"`
			Actor         ingest.Actor             `json:"actor"`
			SourceContext json.RawMessage          `json:"sourceContext,omitempty"`
			Changes       []ingest.AttributeChange `json:"changes"`
		}{Source: e.Source, Actor: e.Actor, SourceContext: json.RawMessage(e.SourceContext), Changes: changes})
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	if org != hotOrgID {
		t.aaOrg[org] = out
	}
	return out, nil
}

// entryPlan is where the entries go: per history, `scale` entries of which
// `hot` belong to the hot event type (or member), spread evenly among the
// rest; each side's timestamps run evenly over the year from start, two
// entries per instant so that paging has ties to break by id.
type entryPlan struct {
	scale, hot int
	start      time.Time
}

// instant is the timestamp of the i-th of n entries.
func (p *entryPlan) instant(i, n int) time.Time {
	step := span.Milliseconds() / int64(max(n, 1))
	return p.start.Add(time.Duration(int64(i/2)*2*step) * time.Millisecond)
}

// writeEntries writes the entries file and returns the number of entries.
func writeEntries(path string, p *entryPlan, t *entryTemplates) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	ew := &entryWriter{w: bufio.NewWriterSize(f, 4<<20), rng: rand.New(rand.NewPCG(20261121, 3)), p: p, t: t, rest: p.scale - p.hot}
	for j := 0; j < p.scale; j++ {
		hot, key := p.hotAt(j), strconv.Itoa(j)
		if err := ew.eventType(hot, key); err != nil {
			return 0, err
		}
		if err := ew.attribute(hot, key); err != nil {
			return 0, err
		}
		if err := ew.changeLog(hot, key); err != nil {
			return 0, err
		}
	}
	if err := ew.w.Flush(); err != nil {
		return 0, err
	}
	return ew.written, f.Close()
}

// hotAt reports whether entry j of a history is one of the hot ones: the
// hot entries are the j where floor(j·hot/scale) steps up.
func (p *entryPlan) hotAt(j int) bool {
	return (int64(j)+1)*int64(p.hot)/int64(p.scale) > int64(j)*int64(p.hot)/int64(p.scale)
}

// entryWriter writes the entries file a line at a time: the entry j of
// each of the three histories in turn, hot (the hot event type's and the
// hot member's) or spread over the bench organizations. The random choice
// of templates is seeded, so that the file is the same on every run.
type entryWriter struct {
	w       *bufio.Writer
	rng     *rand.Rand
	p       *entryPlan
	t       *entryTemplates
	rest    int // entries of a history that are not hot
	buf     []byte
	written int64
	// how many hot and other entries of each history are written
	etHot, etRest, aaHot, aaRest, clHot, clRest int
}

// head starts a line: its kind, organization, idempotency key and time.
func (ew *entryWriter) head(kind string, org int64, key string, ts time.Time) {
	buf := append(ew.buf[:0], `{"kind":"`...)
	buf = append(buf, kind...)
	buf = append(buf, `","organizationId":`...)
	buf = strconv.AppendInt(buf, org, 10)
	buf = append(buf, `,"idempotencyKey":"`...)
	buf = append(buf, key...)
	buf = append(buf, `","timestamp":"`...)
	buf = ts.UTC().AppendFormat(buf, "2006-01-02T15:04:05.000Z")
	ew.buf = append(buf, '"')
}

// ref adds the scope's id, as a string member.
func (ew *entryWriter) ref(name string, id int64) {
	buf := append(ew.buf, `,"`...)
	buf = append(buf, name...)
	buf = append(buf, `":"`...)
	buf = strconv.AppendInt(buf, id, 10)
	ew.buf = append(buf, '"')
}

// end adds the template's members and writes the line.
func (ew *entryWriter) end(fixed []byte) error {
	if len(fixed) > 0 {
		ew.buf = append(ew.buf, ',')
		ew.buf = append(ew.buf, fixed...)
	}
	ew.buf = append(ew.buf, "}\n"...)
	_, err := ew.w.Write(ew.buf)
	ew.written++
	return err
}

// start begins entry key of a history (its idempotency key prefix + key):
// in the hot scope (refName hotID in the hot organization), or in the next
// of the bench scopes first…last in turn, counted in *hotN or *restN. It
// returns the entry's organization and scope id.
func (ew *entryWriter) start(kind, prefix, key string, hot bool, hotN, restN *int, refName string, hotID, first, last int64) (org, id int64) {
	if hot {
		org, id = hotOrgID, hotID
		ew.head(kind, org, prefix+key, ew.p.instant(*hotN, ew.p.hot))
		*hotN++
	} else {
		id = first + int64(*restN)%(last-first+1)
		org = benchOrgOf(id)
		ew.head(kind, org, prefix+key, ew.p.instant(*restN, ew.rest))
		*restN++
	}
	ew.ref(refName, id)
	return org, id
}

// eventType writes entry key of the event type history.
func (ew *entryWriter) eventType(hot bool, key string) error {
	ew.start(ingest.KindEventTypeChange, "bench:et:", key, hot, &ew.etHot, &ew.etRest, "eventTypeId", hotEventTypeID, benchETFirst, benchETLast)
	return ew.end(ew.t.et[ew.rng.IntN(len(ew.t.et))])
}

// attribute writes entry key of the attribute assignment history.
func (ew *entryWriter) attribute(hot bool, key string) error {
	org, _ := ew.start(ingest.KindAttributeChange, "bench:aa:", key, hot, &ew.aaHot, &ew.aaRest, "userId", hotUserID, benchUserFirst, benchUserLast)
	tpl := ew.t.aa
	if !hot {
		var err error
		if tpl, err = ew.t.attributeTemplates(org); err != nil {
			return err
		}
	}
	return ew.end(tpl[ew.rng.IntN(len(tpl))])
}

// changeLog writes entry key of the member change logs: half of the hot
// member's are changes they made, half changes made to them by an admin.
func (ew *entryWriter) changeLog(hot bool, key string) error {
	tpl := ew.t.cl[ew.rng.IntN(len(ew.t.cl))]
	n := ew.clRest
	if hot {
		n = ew.clHot
	}
	admin := []int64{seed.OwnerUserID, seed.AdminUserID, 7}[n/2%3]
	actor := int64(hotUserID)
	if hot && n%2 == 1 {
		actor = admin
	}
	_, id := ew.start(ingest.KindMemberChangeLog, "bench:cl:", key, hot, &ew.clHot, &ew.clRest, "actorId", actor, benchUserFirst, benchUserLast)
	var fixed []byte
	var err error
	switch {
	case hot && n%2 == 1:
		fixed = tpl.on
	case hot:
		// A resource among the organization's members (the demo's change
		// logs name other organizations' users too).
		fixed, err = members(clFixed{Action: tpl.action, ResourceType: model.ResourceOrganizationUser, ResourceID: strconv.FormatInt(admin, 10)})
	default:
		// The member changed themselves: a resource of their organization.
		fixed, err = members(clFixed{Action: tpl.action, ResourceType: model.ResourceOrganizationUser, ResourceID: strconv.FormatInt(id, 10)})
	}
	if err != nil {
		return err
	}
	ew.buf = append(ew.buf, ',')
	ew.buf = append(ew.buf, fixed...)
	ew.buf = appendMemberChanges(ew.buf, n)
	return ew.end(nil)
}

// appendMemberChanges adds a few hundred bytes of member changes, numbered
// g: the demo's are a few dozen bytes, smaller than a real profile update.
func appendMemberChanges(buf []byte, g int) []byte {
	n := strconv.Itoa(g)
	return append(buf, `,"changes":[`+
		`{"field":"role","old_value":"MEMBER","new_value":"ADMIN"},`+
		`{"field":"email","old_value":"user`+n+`@old.example","new_value":"user`+n+`@bench.example"},`+
		`{"field":"name","old_value":"Bench User `+n+`","new_value":"Bench User `+n+` (renamed)"},`+
		`{"field":"timeZone","old_value":"Europe/Berlin","new_value":"America/New_York"},`+
		`{"field":"weekStart","old_value":"Monday","new_value":"Sunday"}]`...)
}
