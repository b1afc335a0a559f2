package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/auditgraph/auditgraph/model"
	"github.com/auditgraph/auditgraph/model/display"
)

// Limits of what one call or one entry may carry.
const (
	// MaxBatch is the most entries one record mutation takes.
	MaxBatch = 500
	// MaxJSONBytes bounds each JSON document of an entry (payload, snapshots,
	// changes, source context): history rows are read back a page at a time,
	// and one huge row would make every page that holds it slow.
	MaxJSONBytes = 64 << 10
	// MaxFutureSkew is how far ahead of the server's clock a timestamp may be:
	// producers' clocks drift, but an entry from the future would sort above
	// everything recorded until then.
	MaxFutureSkew = 5 * time.Minute
	// MaxKeyBytes bounds an idempotency key as sent.
	MaxKeyBytes = 200
	// MaxTextBytes bounds a text the caller sends for an entry (an actor's
	// name, a resource name, a plain column): such text is shown on every
	// page that lists the entry.
	MaxTextBytes = 2048
)

// earliest is the earliest timestamp accepted; anything before is a
// producer's zero value, not a change.
var earliest = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)

// Validator turns input records into stored entries. It caches what it has
// looked up in the directory, so a batch (or a whole import) costs one lookup
// per distinct member, event type and attribute set; call Forget after
// changing the directory. It is safe for concurrent use.
type Validator struct {
	dir model.Directory
	// Now is the clock; tests set it.
	Now func() time.Time

	mu         sync.Mutex
	orgs       map[string]*model.Organization
	users      map[string]*model.User
	members    map[[2]int64]int64 // user, organization -> membership id
	eventTypes map[int64]*model.EventTypeOwnership
	attributes map[int64]map[string]*storedAttribute
}

type storedAttribute struct {
	attr    model.Attribute
	options map[string]model.AttributeOption
}

// NewValidator returns a validator reading dir.
func NewValidator(dir model.Directory) *Validator {
	v := &Validator{dir: dir, Now: time.Now}
	v.Forget()
	return v
}

// Forget drops everything cached.
func (v *Validator) Forget() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.orgs = map[string]*model.Organization{}
	v.users = map[string]*model.User{}
	v.members = map[[2]int64]int64{}
	v.eventTypes = map[int64]*model.EventTypeOwnership{}
	v.attributes = map[int64]map[string]*storedAttribute{}
}

// fieldError prefixes the field of a domain error with path ("entries[3]"),
// so the caller learns which entry of a batch is wrong.
func fieldError(path string, err error) error {
	var me *model.Error
	if !errors.As(err, &me) {
		return err
	}
	out := *me
	switch {
	case path == "":
	case out.Field == "":
		out.Field = path
	default:
		out.Field = path + "." + out.Field
	}
	return &out
}

// Organization resolves a numeric or "org_…" id; an unknown one is
// BAD_USER_INPUT about field.
func (v *Validator) Organization(ctx context.Context, field string, ref ID) (*model.Organization, error) {
	return resolveRef(ctx, v, &v.orgs, field, ref, "org_", "an organization id",
		v.dir.OrganizationByID, v.dir.OrganizationByPublicID, "organization %s does not exist")
}

// user resolves a numeric or "usr_…" id. An unknown one is worded as for
// another tenant's user (see member): which ids exist elsewhere is nobody's
// business.
func (v *Validator) user(ctx context.Context, field string, ref ID) (*model.User, error) {
	if ref == "" {
		return nil, model.InvalidField(field, "", "%s is required", field)
	}
	return resolveRef(ctx, v, &v.users, field, ref, "usr_", "a user id",
		v.dir.UserByID, v.dir.UserByPublicID, "user %s is not a member of this organization")
}

// resolveRef resolves ref, a number or a public id with prefix, through
// the cache at cache (once per distinct ref; the map is read under v.mu,
// since Forget replaces it). A malformed ref is BAD_USER_INPUT naming
// what it is not (what); an unknown one is BAD_USER_INPUT worded by
// missing, a format taking the ref.
func resolveRef[T any](ctx context.Context, v *Validator, cache *map[string]*T, field string, ref ID, prefix, what string,
	byID func(context.Context, int64) (*T, error), byPublicID func(context.Context, string) (*T, error), missing string) (*T, error) {
	s := string(ref)
	v.mu.Lock()
	x, ok := (*cache)[s]
	v.mu.Unlock()
	if ok {
		return x, nil
	}
	r, valid := model.ParseRef(s, prefix)
	var err error
	switch {
	case !valid:
		return nil, model.InvalidField(field, s, "%q is not %s", s, what)
	case r.ID != 0:
		x, err = byID(ctx, r.ID)
	default:
		x, err = byPublicID(ctx, r.PublicID)
	}
	if model.ErrorCode(err) == model.CodeNotFound {
		return nil, model.InvalidField(field, s, missing, s)
	}
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	(*cache)[s] = x
	v.mu.Unlock()
	return x, nil
}

// member resolves a user who must be a member of the organization and
// returns their organization membership id.
func (v *Validator) member(ctx context.Context, field string, ref ID, orgID int64) (*model.User, int64, error) {
	u, err := v.user(ctx, field, ref)
	if err != nil {
		return nil, 0, err
	}
	k := [2]int64{u.ID, orgID}
	v.mu.Lock()
	id, ok := v.members[k]
	v.mu.Unlock()
	if ok {
		return u, id, nil
	}
	a, err := v.dir.OrganizationAccess(ctx, u.ID, orgID)
	if model.ErrorCode(err) == model.CodeNotFound {
		return nil, 0, model.InvalidField(field, string(ref), "user %s is not a member of this organization", ref)
	}
	if err != nil {
		return nil, 0, err
	}
	v.mu.Lock()
	v.members[k] = a.MembershipID
	v.mu.Unlock()
	return u, a.MembershipID, nil
}

// eventTypeInOrganization checks that the event type exists and belongs to
// the organization: through its team (a managed child through its parent's),
// or, for a personal one, through its owner's membership.
func (v *Validator) eventTypeInOrganization(ctx context.Context, field string, ref ID, orgID int64) (int64, error) {
	id, ok := model.ParseID(string(ref))
	if !ok {
		return 0, model.InvalidField(field, string(ref), "%q is not an event type id", ref)
	}
	v.mu.Lock()
	own, cached := v.eventTypes[id]
	v.mu.Unlock()
	if !cached {
		var err error
		own, err = v.dir.EventTypeOwnership(ctx, id)
		if model.ErrorCode(err) == model.CodeNotFound {
			return 0, notThisOrganizations(field, ref)
		}
		if err != nil {
			return 0, err
		}
		v.mu.Lock()
		v.eventTypes[id] = own
		v.mu.Unlock()
	}
	ownerMember := false
	if own.OrganizationID == nil && own.TeamID == nil && own.OwnerUserID != nil {
		_, _, err := v.member(ctx, field, ID(strconv.FormatInt(*own.OwnerUserID, 10)), orgID)
		if err != nil && model.ErrorCode(err) != model.CodeInvalid {
			return 0, err
		}
		ownerMember = err == nil
	}
	if model.EventTypeBelongs(own, ownerMember, orgID) {
		return id, nil
	}
	return 0, notThisOrganizations(field, ref)
}

// notThisOrganizations answers an event type that does not exist and one of
// another organization alike.
func notThisOrganizations(field string, ref ID) error {
	return model.InvalidField(field, string(ref), "event type %s is not an event type of this organization", ref)
}

func (v *Validator) attribute(ctx context.Context, field string, orgID int64, id string) (*storedAttribute, error) {
	v.mu.Lock()
	attrs, ok := v.attributes[orgID]
	v.mu.Unlock()
	if !ok {
		list, err := v.dir.AttributesByOrganization(ctx, orgID)
		if err != nil {
			return nil, err
		}
		attrs = make(map[string]*storedAttribute, len(list))
		ids := make([]string, len(list))
		for i, a := range list {
			attrs[a.ID] = &storedAttribute{attr: a, options: map[string]model.AttributeOption{}}
			ids[i] = a.ID
		}
		if len(ids) > 0 {
			opts, err := v.dir.OptionsByAttributeIDs(ctx, ids)
			if err != nil {
				return nil, err
			}
			for _, o := range opts {
				attrs[o.AttributeID].options[o.ID] = o
			}
		}
		v.mu.Lock()
		v.attributes[orgID] = attrs
		v.mu.Unlock()
	}
	a, ok := attrs[id]
	if !ok {
		return nil, model.InvalidField(field, id, "attribute %q does not exist in organization %d", id, orgID)
	}
	return a, nil
}

// common checks of every entry.

// unreadable checks an exported entry's unreadable stored change, which is
// kept as it was so that it reads (as hasError) as it did.
func unreadable(in *string, id *string) error {
	if id == nil {
		return model.InvalidField("unreadable", nil, "unreadable is only accepted with the id of an exported entry")
	}
	if len(*in) > MaxJSONBytes {
		return model.InvalidField("unreadable", nil, "unreadable is %d bytes, more than %d", len(*in), MaxJSONBytes)
	}
	return nil
}

// entryID is the id an entry keeps (an exported entry imported again) or a
// new one.
func entryID(kind string, given *string, fresh func() string) (string, error) {
	if given == nil {
		return fresh(), nil
	}
	if !model.ValidEntryID(kind, *given) {
		return "", model.InvalidField("id", *given, "id %q is not an entry id of this history", *given)
	}
	return *given, nil
}

func (v *Validator) timestamp(raw *string) (time.Time, error) {
	now := v.Now()
	if raw == nil {
		return now.UTC().Truncate(time.Millisecond), nil
	}
	t, err := time.Parse(time.RFC3339Nano, *raw)
	if err != nil {
		return time.Time{}, model.InvalidField("timestamp", *raw, "timestamp %q is not an RFC 3339 date-time", *raw)
	}
	t = t.UTC().Truncate(time.Millisecond)
	if t.Before(earliest) {
		return time.Time{}, model.InvalidField("timestamp", *raw, "timestamp %s is before 1970", *raw)
	}
	if t.After(now.Add(MaxFutureSkew)) {
		return time.Time{}, model.InvalidField("timestamp", *raw, "timestamp %s is more than %s in the future", *raw, MaxFutureSkew)
	}
	return t, nil
}

// head checks what every entry record starts with: its idempotency key
// (stored namespaced, see storedKey) and its timestamp.
func (v *Validator) head(orgID int64, in *EntryHead) (*string, time.Time, error) {
	key, err := storedKey(orgID, in.IdempotencyKey)
	if err != nil {
		return nil, time.Time{}, err
	}
	at, err := v.timestamp(in.Timestamp)
	return key, at, err
}

// storedKey namespaces a key by organization, so two tenants using the same
// key cannot collide: the unique index spans all organizations.
func storedKey(orgID int64, key *string) (*string, error) {
	if key == nil {
		return nil, nil
	}
	if *key == "" || len(*key) > MaxKeyBytes {
		return nil, model.InvalidField("idempotencyKey", *key, "idempotencyKey must be 1 to %d bytes", MaxKeyBytes)
	}
	k := strconv.FormatInt(orgID, 10) + ":" + *key
	return &k, nil
}

func oneOf(field, value string, list []string) error {
	if !model.OneOf(value, list) {
		return model.InvalidField(field, value, "%s %q is not one of %s", field, value, strings.Join(list, ", "))
	}
	return nil
}

// namedText is an optional text of an entry with its field's name.
type namedText struct {
	name string
	v    *string
}

// boundedTexts refuses a text longer than MaxTextBytes: the people an
// entry names are shown on every page that lists it.
func boundedTexts(texts ...namedText) error {
	for _, f := range texts {
		if f.v != nil && len(*f.v) > MaxTextBytes {
			return model.InvalidField(f.name, nil, "%s is longer than %d bytes", f.name, MaxTextBytes)
		}
	}
	return nil
}

func actor(a Actor) (model.ActorSnapshot, error) {
	if err := oneOf("actor.type", a.Type, model.ActorTypes); err != nil {
		return model.ActorSnapshot{}, err
	}
	if err := boundedTexts(namedText{"actor.ref", a.Ref}, namedText{"actor.name", a.Name},
		namedText{"actor.email", a.Email}, namedText{"actor.avatar", a.Avatar}); err != nil {
		return model.ActorSnapshot{}, err
	}
	return a, nil
}

// actor checks an actor and completes a bare reference: a USER actor sent
// with a ref and no name, email or avatar takes the directory's profile as
// it is now, at write time, and is shown as recorded from then on. Only a
// member of the organization is completed: another tenant's profile is not
// this one's to copy, and such a reference stays as sent.
func (v *Validator) actor(ctx context.Context, a Actor, orgID int64) (model.ActorSnapshot, error) {
	snap, err := actor(a)
	if err != nil || snap.Type != model.ActorUser || snap.Ref == nil || snap.Name != nil || snap.Email != nil || snap.Avatar != nil {
		return snap, err
	}
	u, _, err := v.member(ctx, "actor.ref", ID(*snap.Ref), orgID)
	if model.ErrorCode(err) == model.CodeInvalid {
		return snap, nil
	}
	if err != nil {
		return snap, err
	}
	snap.Name, snap.Email, snap.Avatar = u.Name, &u.Email, u.AvatarURL
	return snap, nil
}

// present reports whether raw holds a JSON value other than null.
func present(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s != "" && s != "null"
}

func jsonDoc(field string, raw json.RawMessage) error {
	if err := jsonSize(field, raw); err != nil {
		return err
	}
	return jsonSyntax(field, raw)
}

func jsonSize(field string, raw json.RawMessage) error {
	if len(raw) > MaxJSONBytes {
		return model.InvalidField(field, nil, "%s is %d bytes, more than %d", field, len(raw), MaxJSONBytes)
	}
	return nil
}

// jsonSyntax refuses raw unless it is valid JSON. A document that is parsed
// anyway is parsed first and checked only when the parse fails, to say why:
// a second scan of every valid payload costs the import 4% of its CPU.
func jsonSyntax(field string, raw json.RawMessage) error {
	if !json.Valid(raw) {
		return model.InvalidField(field, nil, "%s is not valid JSON", field)
	}
	return nil
}

// plainColumns checks an entry's plain columns (model.EventTypePlain, …)
// as sent, every field of the struct without naming any, so a column added
// there is checked with no code here: its text must be storable (NUL, not
// UTF-8: model.BadText, which the interfaces check first) and at most
// MaxTextBytes. Errors name the field by its json name.
func plainColumns(v any) error {
	rv := reflect.ValueOf(v)
	t := rv.Type()
	for i := 0; i < t.NumField(); i++ {
		f := rv.Field(i)
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "" {
			name = t.Field(i).Name
		}
		if f.Kind() == reflect.Pointer {
			if f.IsNil() {
				continue
			}
			f = f.Elem()
		}
		if f.Kind() != reflect.String {
			continue
		}
		switch s := f.String(); {
		case model.BadText(s):
			return model.InvalidField(name, nil, "%s holds a NUL byte or bytes that are not UTF-8", name)
		case len(s) > MaxTextBytes:
			return model.InvalidField(name, nil, "%s is longer than %d bytes", name, MaxTextBytes)
		}
	}
	return nil
}

// AttributeEntry validates one attribute assignment entry of organization
// orgID. Errors name the field relative to the entry.
func (v *Validator) AttributeEntry(ctx context.Context, orgID int64, in *AttributeEntry) (model.AttributeAssignmentEntry, error) {
	var e model.AttributeAssignmentEntry
	var err error
	if e.IdempotencyKey, e.Timestamp, err = v.head(orgID, &in.EntryHead); err != nil {
		return e, err
	}
	if err := oneOf("source", in.Source, model.Sources); err != nil {
		return e, err
	}
	if e.Actor, err = v.actor(ctx, in.Actor, orgID); err != nil {
		return e, err
	}
	u, membershipID, err := v.member(ctx, "userId", in.UserID, orgID)
	if err != nil {
		return e, err
	}
	if err := plainColumns(in.AttributePlain); err != nil {
		return e, err
	}
	e.AttributePlain = in.AttributePlain
	e.SourceContext = "{}"
	if present(in.SourceContext) {
		if err := jsonDoc("sourceContext", in.SourceContext); err != nil {
			return e, err
		}
		if b := strings.TrimSpace(string(in.SourceContext)); b[0] != '{' {
			return e, model.InvalidField("sourceContext", nil, "sourceContext must be a JSON object")
		}
		e.SourceContext = string(in.SourceContext)
	}
	if in.Unreadable != nil {
		if err := unreadable(in.Unreadable, in.ID); err != nil {
			return e, err
		}
		e.ID, e.OrganizationID, e.UserID, e.MembershipID, e.Source, e.Changes = *in.ID, orgID, u.ID, membershipID, in.Source, *in.Unreadable
		return e, nil
	}
	changes := in.Changes
	single := in.AttributeID != nil || in.Previous != nil || in.Current != nil
	switch {
	case len(changes) > 0 && single:
		return e, model.InvalidField("changes", nil, "give either changes or attributeId with previous/current, not both")
	case single:
		if in.AttributeID == nil {
			return e, model.InvalidField("attributeId", nil, "attributeId is required with previous/current")
		}
		changes = []AttributeChange{{AttributeID: *in.AttributeID, Previous: in.Previous, Current: in.Current}}
	case len(changes) == 0:
		return e, model.InvalidField("changes", nil, "an entry needs at least one change")
	}
	out := make([]display.AttributeChange, len(changes))
	for i := range changes {
		c, err := v.attributeChange(ctx, orgID, &changes[i])
		if err != nil {
			if !single {
				err = fieldError("changes["+strconv.Itoa(i)+"]", err)
			}
			return e, err
		}
		out[i] = c
	}
	raw, err := json.Marshal(out)
	if err != nil {
		return e, err
	}
	if len(raw) > MaxJSONBytes {
		return e, model.InvalidField("changes", nil, "changes are %d bytes, more than %d", len(raw), MaxJSONBytes)
	}
	if e.ID, err = entryID(model.CursorAttributeHistory, in.ID, model.NewEntryID); err != nil {
		return e, err
	}
	e.OrganizationID, e.UserID, e.MembershipID, e.Source, e.Changes = orgID, u.ID, membershipID, in.Source, string(raw)
	return e, nil
}

func (v *Validator) attributeChange(ctx context.Context, orgID int64, in *AttributeChange) (display.AttributeChange, error) {
	var c display.AttributeChange
	a, err := v.attribute(ctx, "attributeId", orgID, in.AttributeID)
	if err != nil {
		return c, err
	}
	c.Attribute = display.Attribute{ID: a.attr.ID, Slug: a.attr.Slug, Name: a.attr.Name, Type: string(a.attr.Type)}
	if c.Previous, err = attributeValue("previous", a, in.Previous); err != nil {
		return c, err
	}
	if c.Current, err = attributeValue("current", a, in.Current); err != nil {
		return c, err
	}
	typ, changed := display.ClassifyAttributeChange(c.Previous, c.Current)
	if !changed {
		return c, model.InvalidField("current", nil, "previous and current are the same assignment: nothing changed")
	}
	if in.Type != nil && *in.Type != typ {
		return c, model.InvalidField("type", *in.Type, "type %s does not match previous and current, which make %s", *in.Type, typ)
	}
	c.Type = typ
	return c, nil
}

func attributeValue(field string, a *storedAttribute, in *AttributeValue) (*display.AttributeValue, error) {
	if in == nil {
		return nil, nil
	}
	o, ok := a.options[in.OptionID]
	if !ok {
		return nil, model.InvalidField(field+".optionId", in.OptionID, "option %q is not an option of attribute %s", in.OptionID, a.attr.ID)
	}
	out := &display.AttributeValue{OptionID: o.ID, OptionSlug: o.Slug, Value: o.Value, Weight: in.Weight}
	if in.OptionSlug != nil && *in.OptionSlug != o.Slug {
		return nil, model.InvalidField(field+".optionSlug", *in.OptionSlug, "option %s has slug %q", o.ID, o.Slug)
	}
	if in.Value != nil {
		// Text and number attributes carry the member's own value; a select
		// attribute's value is its option's.
		select_ := a.attr.Type == model.AttributeSingleSelect || a.attr.Type == model.AttributeMultiSelect
		if select_ && *in.Value != o.Value {
			return nil, model.InvalidField(field+".value", *in.Value, "option %s has value %q", o.ID, o.Value)
		}
		if a.attr.Type == model.AttributeNumber {
			if _, err := strconv.ParseFloat(*in.Value, 64); err != nil {
				return nil, model.InvalidField(field+".value", *in.Value, "attribute %s takes numbers", a.attr.ID)
			}
		}
		out.Value = *in.Value
	}
	return out, nil
}

// EventTypeEntry validates one event type entry of organization orgID.
func (v *Validator) EventTypeEntry(ctx context.Context, orgID int64, in *EventTypeEntry) (model.EventTypeEntry, error) {
	var e model.EventTypeEntry
	var err error
	if e.IdempotencyKey, e.Timestamp, err = v.head(orgID, &in.EntryHead); err != nil {
		return e, err
	}
	if err := oneOf("action", in.Action, model.EventTypeActions); err != nil {
		return e, err
	}
	if err := oneOf("source", in.Source, model.Sources); err != nil {
		return e, err
	}
	if e.Actor, err = v.actor(ctx, in.Actor, orgID); err != nil {
		return e, err
	}
	if p := in.ImpersonatedBy; p != nil {
		if err := boundedTexts(namedText{"impersonatedBy.name", p.Name}, namedText{"impersonatedBy.email", p.Email},
			namedText{"impersonatedBy.avatar", p.Avatar}); err != nil {
			return e, err
		}
		e.ImpersonatedBy = *p
	}
	if err := plainColumns(in.EventTypePlain); err != nil {
		return e, err
	}
	e.EventTypePlain = in.EventTypePlain
	if e.EventTypeID, err = v.eventTypeInOrganization(ctx, "eventTypeId", in.EventTypeID, orgID); err != nil {
		return e, err
	}
	if e.Payload, err = eventTypePayload(in); err != nil {
		return e, err
	}
	if e.ID, err = entryID(model.CursorEventTypeHistory, in.ID, model.NewEntryID); err != nil {
		return e, err
	}
	e.Action, e.Type, e.Source = in.Action, display.RecordType(in.Action), in.Source
	return e, nil
}

// eventTypePayload is the stored change of an event type entry: an
// exported entry's unreadable change as it was, the payload as given, or
// the payload computed from the before/after snapshots.
func eventTypePayload(in *EventTypeEntry) (string, error) {
	hasPayload, hasBefore, hasAfter := present(in.Payload), present(in.Before), present(in.After)
	switch {
	case in.Unreadable != nil:
		if err := unreadable(in.Unreadable, in.ID); err != nil {
			return "", err
		}
		return *in.Unreadable, nil
	case hasPayload && (hasBefore || hasAfter):
		return "", model.InvalidField("payload", nil, "give either payload or before/after snapshots, not both")
	case hasPayload:
		if err := jsonSize("payload", in.Payload); err != nil {
			return "", err
		}
		if display.CheckEventTypePayload(in.Action, in.Payload) != nil {
			if err := jsonSyntax("payload", in.Payload); err != nil {
				return "", err
			}
			return "", model.InvalidField("payload", nil, "payload is not a stored event type change (see the payload format)")
		}
		return string(in.Payload), nil
	}
	return snapshotPayload(in, hasBefore, hasAfter)
}

// snapshotPayload computes the stored change from the before/after
// snapshots, naming the snapshot at fault when it cannot.
func snapshotPayload(in *EventTypeEntry, hasBefore, hasAfter bool) (string, error) {
	var before, after []byte
	if hasBefore {
		if err := jsonSize("before", in.Before); err != nil {
			return "", err
		}
		before = in.Before
	}
	if hasAfter {
		if err := jsonSize("after", in.After); err != nil {
			return "", err
		}
		after = in.After
	}
	field := "after"
	if in.Action == model.EventTypeDeleted || (in.Action == model.EventTypeModified && !hasBefore) {
		field = "before"
	}
	p, changed, err := display.EventTypeChangePayload(in.Action, before, after)
	if err != nil {
		for _, doc := range []struct {
			field string
			raw   []byte
		}{{"before", before}, {"after", after}} {
			if doc.raw != nil {
				if err := jsonSyntax(doc.field, doc.raw); err != nil {
					return "", err
				}
			}
		}
		return "", model.InvalidField(field, nil, "%s", strings.TrimPrefix(err.Error(), "display: "))
	}
	if in.Action == model.EventTypeModified && !changed {
		return "", model.InvalidField("after", nil, "before and after are equal: nothing was modified")
	}
	if len(p) > MaxJSONBytes {
		return "", model.InvalidField(field, nil, "the computed payload is %d bytes, more than %d", len(p), MaxJSONBytes)
	}
	return string(p), nil
}

// ChangeLogEntry validates one member change log of organization orgID.
func (v *Validator) ChangeLogEntry(ctx context.Context, orgID int64, in *ChangeLogEntry) (model.MemberChangeLog, error) {
	var e model.MemberChangeLog
	var err error
	if e.IdempotencyKey, e.Timestamp, err = v.head(orgID, &in.EntryHead); err != nil {
		return e, err
	}
	action, rt := strings.ToLower(in.Action), strings.ToLower(in.ResourceType)
	if err := oneOf("action", action, model.ChangeLogActions); err != nil {
		return e, err
	}
	if err := oneOf("resourceType", rt, model.ChangeLogResourceTypes); err != nil {
		return e, err
	}
	actorUser, _, err := v.member(ctx, "actorId", in.ActorID, orgID)
	if err != nil {
		return e, err
	}
	e.ResourceID = in.ResourceID
	switch {
	case rt == model.ResourceOrganizationUser:
		// The target is recorded by public id: only a member, or a user
		// who belongs to no organization (removed), else a log would map
		// another tenant's numeric ids to public ones.
		target, _, err := v.member(ctx, "resourceId", ID(in.ResourceID), orgID)
		if model.ErrorCode(err) == model.CodeInvalid {
			u, uerr := v.user(ctx, "resourceId", ID(in.ResourceID))
			if uerr != nil {
				return e, err
			}
			ms, merr := v.dir.MembershipsOfUser(ctx, u.ID)
			if merr != nil {
				return e, merr
			}
			if len(ms) > 0 {
				return e, err
			}
			target, err = u, nil
		}
		if err != nil {
			return e, err
		}
		e.ResourceID = target.PublicID
	case in.ResourceID == "" || len(in.ResourceID) > 256:
		return e, model.InvalidField("resourceId", in.ResourceID, "resourceId must be 1 to 256 bytes")
	}
	if err := boundedTexts(namedText{"resourceName", in.ResourceName}); err != nil {
		return e, err
	}
	if err := plainColumns(in.ChangeLogPlain); err != nil {
		return e, err
	}
	e.ChangeLogPlain = in.ChangeLogPlain
	e.Changes = "[]"
	if in.Unreadable != nil {
		if err := unreadable(in.Unreadable, in.ID); err != nil {
			return e, err
		}
		e.Changes = *in.Unreadable
	} else if present(in.Changes) {
		if err := jsonSize("changes", in.Changes); err != nil {
			return e, err
		}
		if _, err := display.ParseMemberChanges(in.Changes); err != nil {
			if err := jsonSyntax("changes", in.Changes); err != nil {
				return e, err
			}
			return e, model.InvalidField("changes", nil, "changes must be a list of {field, old_value, new_value}: %s",
				strings.TrimPrefix(err.Error(), "display: "))
		}
		e.Changes = string(in.Changes)
	}
	if e.ID, err = entryID(model.CursorMemberChangeLogs, in.ID, model.NewChangeLogID); err != nil {
		return e, err
	}
	e.OrganizationID, e.ActorUserID, e.Action, e.ResourceType, e.ResourceName = orgID, actorUser.ID, action, rt, in.ResourceName
	// The actor as the directory has them now, kept with the entry.
	e.ActorPublicID, e.ActorName, e.ActorEmail, e.ActorAvatar = &actorUser.PublicID, actorUser.Name, &actorUser.Email, actorUser.AvatarURL
	return e, nil
}
