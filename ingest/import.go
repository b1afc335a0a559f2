package ingest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/auditgraph/auditgraph/model"
)

// BulkWriter loads validated entries in bulk (package db: COPY on
// PostgreSQL, multi-row INSERTs on SQLite). Every entry carries an
// idempotency key; entries whose key is stored already, or repeated in the
// same call, are skipped. Each method returns how many it stored.
type BulkWriter interface {
	CopyAttributeHistory(ctx context.Context, entries []model.AttributeAssignmentEntry) (int64, error)
	CopyEventTypeHistory(ctx context.Context, entries []model.EventTypeEntry) (int64, error)
	CopyMemberChangeLogs(ctx context.Context, entries []model.MemberChangeLog) (int64, error)
}

// Record kinds of an import line.
const (
	KindOrganization    = "organization"
	KindTeam            = "team"
	KindUser            = "user"
	KindMembership      = "membership"
	KindCustomRole      = "customRole"
	KindEventType       = "eventType"
	KindAttribute       = "attribute"
	KindAttributeChange = "attributeChange"
	KindEventTypeChange = "eventTypeChange"
	KindMemberChangeLog = "memberChangeLog"
)

// Kinds lists every line kind.
var Kinds = []string{KindOrganization, KindTeam, KindUser, KindMembership, KindCustomRole, KindEventType,
	KindAttribute, KindAttributeChange, KindEventTypeChange, KindMemberChangeLog}

const (
	// DefaultImportBatch is how many entries one bulk load takes: large
	// enough that the per-statement cost vanishes, small enough that a batch
	// sits comfortably in memory.
	DefaultImportBatch = 20000
	// MaxLineBytes bounds one line: the largest valid entry (three JSON
	// documents of MaxJSONBytes) with room to spare.
	MaxLineBytes = 1 << 20
	// maxListedRejections bounds the rejections kept with their reasons;
	// the count goes on.
	maxListedRejections = 1000
)

// ImportOptions tunes Import.
type ImportOptions struct {
	// BatchSize is the number of entries per bulk load (DefaultImportBatch if 0).
	BatchSize int
}

// Rejection is a line that was not imported, and why.
type Rejection struct {
	Line    int    `json:"line"`
	Kind    string `json:"kind,omitempty"`
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func (r Rejection) String() string {
	s := fmt.Sprintf("line %d", r.Line)
	if r.Kind != "" {
		s += " (" + r.Kind + ")"
	}
	if r.Field != "" {
		s += ": " + r.Field
	}
	return s + ": " + r.Message
}

// Summary is the outcome of an import.
type Summary struct {
	Lines int `json:"lines"`
	// Directory counts directory records upserted (upserts are idempotent,
	// so a re-run counts them again without changing anything).
	Directory int `json:"directory"`
	// Imported counts the entries stored, by kind.
	Imported map[string]int64 `json:"imported"`
	// Duplicates counts entries skipped because their idempotency key was
	// stored already (by an earlier import, or earlier in this file).
	Duplicates int64 `json:"duplicates"`
	// Rejected counts the lines refused; Rejections lists the first of them.
	Rejected   int         `json:"rejected"`
	Rejections []Rejection `json:"rejections,omitempty"`
}

// TotalImported is the number of entries stored.
func (s *Summary) TotalImported() int64 {
	var n int64
	for _, v := range s.Imported {
		n += v
	}
	return n
}

func (s *Summary) reject(line int, kind string, err error) {
	s.Rejected++
	if len(s.Rejections) >= maxListedRejections {
		return
	}
	r := Rejection{Line: line, Kind: kind, Code: model.ErrorCode(err), Message: model.ErrorMessage(err)}
	var me *model.Error
	if errors.As(err, &me) {
		r.Field = me.Field
	} else {
		r.Message = err.Error()
	}
	s.Rejections = append(s.Rejections, r)
}

// importKey is the idempotency key of a line that has none: a hash of the
// line, so that importing the same file again finds every entry stored.
// Identical lines are one entry.
func importKey(line []byte) *string {
	sum := sha256.Sum256(line)
	k := "import:" + hex.EncodeToString(sum[:16])
	return &k
}

type pending struct {
	attr []model.AttributeAssignmentEntry
	et   []model.EventTypeEntry
	cl   []model.MemberChangeLog
}

func (p *pending) len() int { return len(p.attr) + len(p.et) + len(p.cl) }

type flushResult struct {
	imported   map[string]int64
	duplicates int64
	err        error
}

// Import reads NDJSON from r: one record per line, {"kind": …, …fields}.
// Directory records are upserted as they come, so entries after them may
// refer to them. Entries are validated exactly as the record mutations
// validate them (history lines name their organization in organizationId)
// and bulk-loaded in batches. A line that does not validate is rejected and
// listed, and the import goes on: valid lines are imported whatever their
// neighbours hold. Blank lines are ignored. Only failures of the database or
// of reading r end the import early, with an error.
func Import(ctx context.Context, s model.Store, w BulkWriter, r io.Reader, opt ImportOptions) (*Summary, error) {
	if opt.BatchSize <= 0 {
		opt.BatchSize = DefaultImportBatch
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	im := &importer{ctx: ctx, cancel: cancel, s: s, v: NewValidator(s), opt: opt,
		sum: &Summary{Imported: map[string]int64{}}, cur: &pending{}}
	im.startLoader(w)
	im.startValidation()
	return im.finish(im.read(r))
}

// importer is one run of Import: the reader of lines (read), a pool of
// workers validating chunks of entry lines and a collector putting their
// results back in file order (startValidation), and a loader writing the
// batches (startLoader), each beside the others.
type importer struct {
	ctx    context.Context
	cancel context.CancelFunc
	s      model.Store
	v      *Validator
	opt    ImportOptions
	sum    *Summary
	// cur is the batch being filled: by the collector, or by the reader
	// while the collector is drained.
	cur *pending

	batches chan *pending
	loaded  chan flushResult

	jobs, order chan *chunk
	collected   chan error
	workers     sync.WaitGroup
}

// startLoader writes batches while the next is read; the first error stops
// the import.
func (im *importer) startLoader(w BulkWriter) {
	im.batches = make(chan *pending, 1)
	im.loaded = make(chan flushResult, 1)
	go func() {
		res := flushResult{imported: map[string]int64{}}
		for b := range im.batches {
			if res.err != nil {
				continue
			}
			if res.err = flush(im.ctx, w, b, &res); res.err != nil {
				im.cancel()
			}
		}
		im.loaded <- res
	}()
}

// send hands a full batch to the loader.
func (im *importer) send(b *pending) bool {
	select {
	case im.batches <- b:
		return true
	case <-im.ctx.Done():
		return false
	}
}

// startValidation starts the workers and the collector. Entry lines are
// validated by a pool of workers, a chunk of lines at a time; the collector
// takes the chunks back in file order, so batches and rejections come out
// as a serial import would give them. A directory line (or one whose head
// needs a full decode) waits until every line before it is collected, and
// is handled in place: entries after it see the directory it changed.
func (im *importer) startValidation() {
	workers := max(1, runtime.GOMAXPROCS(0))
	im.jobs = make(chan *chunk, workers)
	im.order = make(chan *chunk, 2*workers)
	im.collected = make(chan error, 1)
	for range workers {
		im.workers.Add(1)
		go func() {
			defer im.workers.Done()
			for c := range im.jobs {
				c.validate(im.ctx, im.v)
				close(c.done)
			}
		}()
	}
	go func() {
		var err error
		for c := range im.order {
			if c.barrier {
				close(c.done)
				continue
			}
			<-c.done
			if err != nil {
				continue
			}
			if c.err != nil {
				err = c.err
				im.cancel()
				continue
			}
			if !im.collect(c) {
				err = im.ctx.Err()
			}
		}
		im.collected <- err
	}()
}

// collect takes a validated chunk into the summary and the current batch.
func (im *importer) collect(c *chunk) bool {
	for _, rj := range c.rejected {
		im.sum.reject(rj.line, rj.kind, rj.err)
	}
	im.cur.attr = append(im.cur.attr, c.out.attr...)
	im.cur.et = append(im.cur.et, c.out.et...)
	im.cur.cl = append(im.cur.cl, c.out.cl...)
	if im.cur.len() >= im.opt.BatchSize {
		if !im.send(im.cur) {
			return false
		}
		im.cur = &pending{}
	}
	return true
}

// dispatch hands c to the workers and the collector.
func (im *importer) dispatch(c *chunk) {
	im.order <- c
	im.jobs <- c
}

// drain waits until the collector has taken every chunk dispatched.
func (im *importer) drain() {
	b := &chunk{barrier: true, done: make(chan struct{})}
	im.order <- b
	<-b.done
}

// read reads r line by line: entry lines go to the workers in chunks,
// other lines are handled in place once everything before them is in. It
// returns what stops the import (an unreadable input, a failing store).
func (im *importer) read(r io.Reader) error {
	br := bufio.NewReaderSize(r, 256<<10)
	c := newChunk()
	var readErr error
	for lineNo := 1; ; lineNo++ {
		line, err := readLine(br)
		if err == io.EOF {
			break
		}
		if errors.Is(err, errLineTooLong) {
			// Skipped and reported; the lines after it are read on.
			im.sum.Lines++
			im.sum.reject(lineNo, "", model.InvalidField("line", nil, "the line is longer than %d bytes", MaxLineBytes))
			continue
		}
		if err != nil {
			readErr = fmt.Errorf("line %d: %w", lineNo, err)
			break
		}
		if im.ctx.Err() != nil {
			break
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		im.sum.Lines++
		if err := checkLineText(line); err != nil {
			im.sum.reject(lineNo, "", err)
			continue
		}
		if kind, org, ok := scanHead(line); ok && isEntryKind(kind) {
			c.add(lineNo, kind, org, line)
			if len(c.lines) >= chunkLines || len(c.buf) >= chunkBytes {
				im.dispatch(c)
				c = newChunk()
			}
			continue
		}
		// Serial path: everything before this line goes first.
		if len(c.lines) > 0 {
			im.dispatch(c)
			c = newChunk()
		}
		im.drain()
		if im.ctx.Err() != nil {
			break
		}
		kind, err := importLine(im.ctx, im.s, im.v, line, im.cur, im.sum)
		if err != nil {
			var me *model.Error
			if !errors.As(err, &me) && im.ctx.Err() == nil {
				readErr = fmt.Errorf("line %d: %w", lineNo, err)
				break
			}
			im.sum.reject(lineNo, kind, err)
			continue
		}
		if im.cur.len() >= im.opt.BatchSize {
			if !im.send(im.cur) {
				break
			}
			im.cur = &pending{}
		}
	}
	if len(c.lines) > 0 && readErr == nil && im.ctx.Err() == nil {
		im.dispatch(c)
	}
	return readErr
}

// finish waits for the workers, the collector and the loader, and returns
// the summary with the first error of any.
func (im *importer) finish(readErr error) (*Summary, error) {
	close(im.jobs)
	close(im.order)
	im.workers.Wait()
	if err := <-im.collected; err != nil && readErr == nil && !errors.Is(err, context.Canceled) {
		readErr = err
	}
	if im.cur.len() > 0 && readErr == nil {
		im.send(im.cur)
	}
	close(im.batches)
	res := <-im.loaded
	for k, n := range res.imported {
		im.sum.Imported[k] += n
	}
	im.sum.Duplicates += res.duplicates
	switch {
	case res.err != nil:
		return im.sum, res.err
	case readErr != nil:
		return im.sum, readErr
	}
	return im.sum, im.ctx.Err()
}

const (
	// chunkLines and chunkBytes bound the lines a worker validates at once:
	// enough to make handing them over cheap, few enough to keep every
	// worker busy.
	chunkLines = 256
	chunkBytes = 256 << 10
)

func isEntryKind(kind string) bool {
	return kind == KindAttributeChange || kind == KindEventTypeChange || kind == KindMemberChangeLog
}

// chunk is a run of entry lines validated by one worker.
type chunk struct {
	buf   []byte
	lines []chunkLine
	// Set by the worker.
	out      pending
	rejected []chunkRejection
	err      error
	done     chan struct{}
	// barrier marks the collector's acknowledgement of everything before it.
	barrier bool
}

type chunkLine struct {
	no         int
	kind       string
	org        ID
	start, end int
}

type chunkRejection struct {
	line int
	kind string
	err  error
}

func newChunk() *chunk {
	return &chunk{buf: make([]byte, 0, chunkBytes+MaxLineBytes/16), done: make(chan struct{})}
}

// add copies line: the reader's buffer is reused.
func (c *chunk) add(no int, kind string, org ID, line []byte) {
	start := len(c.buf)
	c.buf = append(c.buf, line...)
	c.lines = append(c.lines, chunkLine{no: no, kind: kind, org: org, start: start, end: len(c.buf)})
}

// validate turns the lines into entries. A line that does not validate is
// rejected; any other failure (of the database) ends the chunk with err.
func (c *chunk) validate(ctx context.Context, v *Validator) {
	for _, l := range c.lines {
		if ctx.Err() != nil {
			c.err = ctx.Err()
			return
		}
		err := entryLine(ctx, v, l.kind, l.org, c.buf[l.start:l.end], &c.out)
		if err == nil {
			continue
		}
		var me *model.Error
		if !errors.As(err, &me) && ctx.Err() == nil {
			c.err = fmt.Errorf("line %d: %w", l.no, err)
			return
		}
		c.rejected = append(c.rejected, chunkRejection{line: l.no, kind: l.kind, err: err})
	}
}

var errLineTooLong = fmt.Errorf("line longer than %d bytes", MaxLineBytes)

// readLine returns the next line without its newline. A line longer than
// MaxLineBytes is read to its end without being kept, and is
// errLineTooLong: the caller skips it and goes on.
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		buf := append([]byte(nil), line...)
		for err == bufio.ErrBufferFull {
			line, err = br.ReadSlice('\n')
			if len(buf) <= MaxLineBytes {
				buf = append(buf, line...)
			}
		}
		if len(buf) > MaxLineBytes {
			if err == io.EOF {
				err = nil
			}
			if err != nil {
				return nil, err
			}
			return nil, errLineTooLong
		}
		line = buf
	}
	if err == io.EOF && len(line) > 0 {
		return line, nil
	}
	return line, err
}

// flush loads the three tables of a batch at once, on separate connections,
// so that the database's work (index updates, the idempotency check) spreads
// over its cores.
func flush(ctx context.Context, w BulkWriter, b *pending, res *flushResult) error {
	type load struct {
		kind string
		n    int
		run  func() (int64, error)
	}
	loads := []load{
		{KindAttributeChange, len(b.attr), func() (int64, error) { return w.CopyAttributeHistory(ctx, b.attr) }},
		{KindEventTypeChange, len(b.et), func() (int64, error) { return w.CopyEventTypeHistory(ctx, b.et) }},
		{KindMemberChangeLog, len(b.cl), func() (int64, error) { return w.CopyMemberChangeLogs(ctx, b.cl) }},
	}
	stored := make([]int64, len(loads))
	errs := make([]error, len(loads))
	var wg sync.WaitGroup
	for i, l := range loads {
		if l.n == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			stored[i], errs[i] = l.run()
		}()
	}
	wg.Wait()
	for i, l := range loads {
		if errs[i] != nil {
			return fmt.Errorf("loading %s entries: %w", l.kind, errs[i])
		}
		res.imported[l.kind] += stored[i]
		res.duplicates += int64(l.n) - stored[i]
	}
	return nil
}

// checkLineText refuses a line whose text the database would refuse (see
// model.FindBadText): bytes that are not UTF-8, or a NUL, which JSON can only
// carry escaped. The escape is looked for first, so that clean lines cost
// one scan.
func checkLineText(line []byte) error {
	if !utf8.Valid(line) {
		return model.InvalidField("line", nil, "the line is not UTF-8")
	}
	if !bytes.Contains(line, []byte(`\u0000`)) {
		return nil
	}
	var v any
	if err := json.Unmarshal(line, &v); err != nil {
		return nil // decode reports it with the line's kind
	}
	if path, bad := model.FindBadText(v, "line"); bad {
		return model.InvalidField(strings.TrimPrefix(path, "line."), nil, "%s holds a NUL byte", strings.TrimPrefix(path, "line."))
	}
	return nil
}

// lineField is encoding/json's path of a field as the line names it:
// encoding/json puts the Go name of an embedded struct (EntryHead,
// model.EventTypePlain) in the path, where the line has none.
func lineField(t reflect.Type, path string) string {
	embedded := map[string]bool{}
	var walk func(t reflect.Type, depth int)
	walk = func(t reflect.Type, depth int) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || depth > 8 {
			return
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if f.Anonymous {
				embedded[f.Name] = true
			}
			walk(f.Type, depth+1)
		}
	}
	walk(t, 0)
	var out []string
	for _, seg := range strings.Split(path, ".") {
		if !embedded[seg] {
			out = append(out, seg)
		}
	}
	return strings.Join(out, ".")
}

func malformed(format string, args ...any) error {
	return &model.Error{Code: model.CodeInvalid, Message: fmt.Sprintf(format, args...)}
}

// decode reads line into dst; a JSON type error names its field.
func decode(line []byte, dst any) error {
	if err := json.Unmarshal(line, dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			field := lineField(reflect.TypeOf(dst), te.Field)
			return model.InvalidField(field, nil, "%s: want %s, got JSON %s", field, te.Type, te.Value)
		}
		return malformed("not a JSON object: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

// importLine handles one line: a directory record is upserted now, an entry
// is validated and added to cur. It returns the line's kind.
func importLine(ctx context.Context, s model.Store, v *Validator, line []byte, cur *pending, sum *Summary) (string, error) {
	var head struct {
		Kind           string `json:"kind"`
		OrganizationID ID     `json:"organizationId"`
	}
	if err := decode(line, &head); err != nil {
		return "", err
	}
	switch head.Kind {
	case KindAttributeChange, KindEventTypeChange, KindMemberChangeLog:
		return head.Kind, entryLine(ctx, v, head.Kind, head.OrganizationID, line, cur)
	case "":
		return "", model.InvalidField("kind", nil, "kind is required: one of %s", strings.Join(Kinds, ", "))
	}
	if err := importDirectory(ctx, s, v, head.Kind, line); err != nil {
		return head.Kind, err
	}
	// The directory changed under the validator's cache.
	v.Forget()
	sum.Directory++
	return head.Kind, nil
}

// entryLine validates the history entry of line, of the given kind and
// organization, and adds it to cur.
func entryLine(ctx context.Context, v *Validator, kind string, orgRef ID, line []byte, cur *pending) error {
	if orgRef == "" {
		return model.InvalidField("organizationId", nil, "organizationId is required")
	}
	org, err := v.Organization(ctx, "organizationId", orgRef)
	if err != nil {
		return err
	}
	switch kind {
	case KindAttributeChange:
		var in AttributeEntry
		if err := decode(line, &in); err != nil {
			return err
		}
		if in.IdempotencyKey == nil {
			in.IdempotencyKey = importKey(line)
		}
		e, err := v.AttributeEntry(ctx, org.ID, &in)
		if err != nil {
			return err
		}
		cur.attr = append(cur.attr, e)
	case KindEventTypeChange:
		var in EventTypeEntry
		if err := decode(line, &in); err != nil {
			return err
		}
		if in.IdempotencyKey == nil {
			in.IdempotencyKey = importKey(line)
		}
		e, err := v.EventTypeEntry(ctx, org.ID, &in)
		if err != nil {
			return err
		}
		cur.et = append(cur.et, e)
	default:
		var in ChangeLogEntry
		if err := decode(line, &in); err != nil {
			return err
		}
		if in.IdempotencyKey == nil {
			in.IdempotencyKey = importKey(line)
		}
		e, err := v.ChangeLogEntry(ctx, org.ID, &in)
		if err != nil {
			return err
		}
		cur.cl = append(cur.cl, e)
	}
	return nil
}

// importDirectory upserts one directory record. Import is an operator's
// tool, not a tenant's: records may be of any organization, and only their
// fields and references are checked.
func importDirectory(ctx context.Context, s model.Store, v *Validator, kind string, line []byte) error {
	// The organization a record names must exist: the import adds to an
	// organization, it does not make one up.
	orgExists := func(id *int64) error {
		if id == nil {
			return nil
		}
		_, err := v.Organization(ctx, "organizationId", ID(fmt.Sprint(*id)))
		return err
	}
	switch kind {
	case KindOrganization:
		return importRecord(line, checkOrganization, noOrganization[model.Organization], orgExists,
			func(o *model.Organization) error { return s.UpsertOrganization(ctx, o) })
	case KindTeam:
		return importRecord(line, checkTeam, func(t *model.Team) *int64 { return t.OrganizationID }, orgExists,
			func(t *model.Team) error { return s.UpsertTeam(ctx, t) })
	case KindUser:
		return importRecord(line, checkUser, noOrganization[model.User], orgExists,
			func(u *model.User) error { return s.UpsertUser(ctx, u) })
	case KindMembership:
		return importRecord(line, checkMembership, func(m *model.Membership) *int64 { return m.OrganizationID }, orgExists,
			func(m *model.Membership) error { return s.UpsertMembership(ctx, m) })
	case KindCustomRole:
		return importRecord(line, checkCustomRole, func(r *model.CustomRole) *int64 { return &r.OrganizationID }, orgExists,
			func(r *model.CustomRole) error { return s.UpsertCustomRole(ctx, r) })
	case KindEventType:
		return importRecord(line, checkEventType, noOrganization[model.EventType], orgExists,
			func(e *model.EventType) error { return s.UpsertEventType(ctx, e) })
	case KindAttribute:
		return importRecord(line, checkAttribute, func(a *Attribute) *int64 { return &a.OrganizationID }, orgExists,
			func(a *Attribute) error { return s.UpsertAttribute(ctx, &a.Attribute, a.Options) })
	}
	return model.InvalidField("kind", kind, "unknown kind %q: want one of %s", kind, strings.Join(Kinds, ", "))
}

// noOrganization is the organization of a record that names none.
func noOrganization[T any](*T) *int64 { return nil }

// importRecord reads one directory line into a T, checks it as a sync
// would, checks the organization it names (org; nil: none) exists, and
// stores it.
func importRecord[T any](line []byte, check func(*T) error, org func(*T) *int64, orgExists func(*int64) error, upsert func(*T) error) error {
	var rec T
	if err := decode(line, &rec); err != nil {
		return err
	}
	if err := check(&rec); err != nil {
		return err
	}
	if err := orgExists(org(&rec)); err != nil {
		return err
	}
	return upsert(&rec)
}
