package resolvers

import (
	"github.com/auditgraph/auditgraph/graph/gqlmodel"
	"github.com/auditgraph/auditgraph/model"
)

// pageInput is a connection's paging arguments, as the Relay cursor spec
// defines them: first/after read forward (older), last/before backward
// (newer); entries are newest first either way.
type pageInput struct {
	First, Last   *int
	After, Before *string
	Offset        *int
}

// pageArgs validates paging arguments and turns them into a store page read
// of kind: a page holds lim.Default entries unless first or last, at most
// lim.Max, ask otherwise.
func pageArgs(kind *model.HistoryKind, lim model.Limits, in pageInput) (model.PageArgs, error) {
	if in.First != nil && in.Last != nil {
		return model.PageArgs{}, model.InvalidField("last", *in.Last, "first and last cannot be used together")
	}
	if in.After != nil && in.Before != nil {
		return model.PageArgs{}, model.InvalidField("before", nil, "after and before cannot be used together")
	}
	if (in.First != nil && in.Before != nil) || (in.Last != nil && in.After != nil) {
		return model.PageArgs{}, model.InvalidField("after", nil, "use first with after, or last with before")
	}
	for name, v := range map[string]*int{"first": in.First, "last": in.Last} {
		if v == nil {
			continue
		}
		if *v < 0 {
			return model.PageArgs{}, model.FieldRule(name, *v, "must not be negative")
		}
		if *v > lim.Max {
			return model.PageArgs{}, model.TooLarge(name, *v, lim.Max)
		}
	}
	p := model.PageArgs{Limit: lim.Default}
	switch {
	case in.First != nil:
		p.Limit = *in.First
	case in.Last != nil:
		p.Limit, p.Backward = *in.Last, true
	case in.Before != nil:
		p.Backward = true
	}
	cursor, field := in.After, "after"
	if p.Backward {
		cursor, field = in.Before, "before"
	}
	if cursor != nil {
		id, err := model.DecodeCursor(kind.Cursor, field, *cursor)
		if err != nil {
			return model.PageArgs{}, err
		}
		p.Cursor = id
	}
	if in.Offset != nil {
		switch {
		case *in.Offset < 0:
			return model.PageArgs{}, model.FieldRule("offset", *in.Offset, "must not be negative")
		case *in.Offset > lim.MaxOffset:
			return model.PageArgs{}, model.TooLarge("offset", *in.Offset, lim.MaxOffset)
		case p.Backward || p.Cursor != "":
			return model.PageArgs{}, model.FieldRule("offset", *in.Offset, "cannot be combined with cursors or last")
		}
		p.Offset = *in.Offset
	}
	return p, nil
}

// pageInfo answers the Relay page info of a page read with p. A cursor names
// an existing entry, so reading past one means there is a page on that side.
func pageInfo(p model.PageArgs, more bool, cursors []string) *gqlmodel.PageInfo {
	pi := &gqlmodel.PageInfo{}
	if p.Backward {
		pi.HasPreviousPage, pi.HasNextPage = more, p.Cursor != ""
	} else {
		pi.HasNextPage, pi.HasPreviousPage = more, p.Cursor != "" || p.Offset > 0
	}
	if len(cursors) > 0 {
		pi.StartCursor, pi.EndCursor = &cursors[0], &cursors[len(cursors)-1]
	}
	return pi
}

func timeRange(r *gqlmodel.DateRange) model.TimeRange {
	if r == nil {
		return model.TimeRange{}
	}
	tr := model.TimeRange{From: r.From}
	if r.To != nil {
		tr.To = &r.To.Time
	}
	return tr
}
