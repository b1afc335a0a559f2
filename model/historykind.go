package model

// A HistoryKind describes one of the histories once: where it is stored, its
// cursors, its page limits and how its GraphQL connection is named. The
// generic plumbing (the page reader and count in db, the connection builder
// and paging in resolvers, the REST parameter readers) takes a kind instead
// of repeating itself per history, so a new history is one more declaration
// here, its entry type, schema and migration.
type HistoryKind struct {
	// Name is the root field of the history's connection in the schema.
	Name string
	// Table is the table the entries are stored in.
	Table string
	// Cursor is the cursor kind: a cursor of one history is refused by the others.
	Cursor string
	// Limits are the page limits when the server sets none.
	Limits Limits
	// max picks the configured largest page of this kind from the server's
	// page sizes (the flags group the two Cal.com histories).
	max func(PageSizes) int
}

// Limits bound the pages of one history kind.
type Limits struct {
	// Default is the size of a page when the caller asks for none.
	Default int
	// Max is the largest page a caller may ask for (first, last; REST's
	// limit and take are checked against it by GraphQL).
	Max int
	// MaxOffset bounds offset paging (0: the kind has no offset); deeper
	// reads must use cursors.
	MaxOffset int
}

// The three histories.
var (
	AttributeHistoryKind = &HistoryKind{
		Name: "attributeAssignmentHistory", Table: "attribute_assignment_history", Cursor: CursorAttributeHistory,
		Limits: Limits{Default: DefaultPageSize, Max: 50},
		max:    func(p PageSizes) int { return p.Max },
	}
	EventTypeHistoryKind = &HistoryKind{
		Name: "eventTypeHistory", Table: "event_type_history", Cursor: CursorEventTypeHistory,
		Limits: Limits{Default: DefaultPageSize, Max: 50},
		max:    func(p PageSizes) int { return p.Max },
	}
	MemberChangeLogsKind = &HistoryKind{
		Name: "memberChangeLogs", Table: "member_change_logs", Cursor: CursorMemberChangeLogs,
		Limits: Limits{Default: DefaultPageSize, Max: 100, MaxOffset: 1_000_000},
		max:    func(p PageSizes) int { return p.MaxChangeLogs },
	}
)

// HistoryKinds lists every history kind.
var HistoryKinds = []*HistoryKind{AttributeHistoryKind, EventTypeHistoryKind, MemberChangeLogsKind}

// For returns the limits of kind k under the page sizes p (the defaults
// when p is the zero value).
func (p PageSizes) For(k *HistoryKind) Limits {
	p = p.OrDefault()
	l := k.Limits
	l.Default, l.Max = p.Default, k.max(p)
	return l
}
