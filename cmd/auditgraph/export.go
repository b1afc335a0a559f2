package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

var exportCommand = &command{
	name:    "export",
	args:    "attribute-assignments|event-types|member-change-logs [flags]",
	summary: "Download one history from a running server as NDJSON (import lines) or CSV, with the export endpoint's access rules.",
	run:     exportRun,
}

// exportParams are the endpoint's parameters of each history, by flag.
var exportParams = map[string]map[string]string{
	"attribute-assignments": {"org": "orgId", "user": "userId"},
	"event-types":           {"event-type": "eventTypeId"},
	"member-change-logs":    {"org": "organizationId", "user": "userId"},
}

func exportRun(ctx context.Context, e *env, cmd *command, args []string) error {
	o, err := parseExport(e, cmd, args)
	if err != nil {
		return err
	}
	w, closeOut, err := o.output(e.stdout)
	if err != nil {
		return err
	}
	defer closeOut()
	body, err := o.request(ctx)
	if err != nil {
		return err
	}
	defer body.Close()
	start := time.Now()
	n, err := io.Copy(w, body)
	if err != nil {
		return fmt.Errorf("export interrupted after %d bytes (run again with -resume): %w", n, err)
	}
	fmt.Fprintf(e.stderr, "exported %d bytes in %s\n", n, time.Since(start).Round(time.Millisecond))
	return nil
}

// exportOptions are an export's flags, checked.
type exportOptions struct {
	history, base, key, after, format, out string
	resume                                 bool
	query                                  url.Values // without after
}

// parseExport reads and checks the flags and the history argument.
func parseExport(e *env, cmd *command, args []string) (*exportOptions, error) {
	f := newFlagSet(e, cmd)
	o := &exportOptions{}
	var org, user, eventType, filter string
	f.stringVar(&o.base, "url", "AUDITGRAPH_URL", "http://127.0.0.1:8080", "the server's base URL")
	f.stringVar(&o.key, "key", "AUDITGRAPH_API_KEY", "", "API key (cal_…) to export with")
	f.StringVar(&org, "org", "", "organization id (attribute-assignments, member-change-logs)")
	f.StringVar(&user, "user", "", "member's user id (attribute-assignments, member-change-logs)")
	f.StringVar(&eventType, "event-type", "", "event type id (event-types)")
	f.StringVar(&filter, "filter", "", `the connection's filter as JSON, e.g. {"timestamp":{"from":"2026-01-01T00:00:00Z"}}`)
	f.StringVar(&o.after, "after", "", "start after this cursor")
	f.StringVar(&o.format, "format", "ndjson", "ndjson or csv")
	f.StringVar(&o.out, "o", "-", "output file; - writes to stdout")
	f.BoolVar(&o.resume, "resume", false, "continue an interrupted export into -o, after the cursor of its last whole line")
	rest, err := f.parse(args)
	if err != nil {
		return nil, err
	}
	if len(rest) != 1 || exportParams[rest[0]] == nil {
		f.Usage()
		return nil, usagef("export: want one history: attribute-assignments, event-types or member-change-logs")
	}
	o.history = rest[0]
	if o.key == "" {
		return nil, usagef("export: -key (AUDITGRAPH_API_KEY) is required")
	}
	if o.resume && (o.out == "-" || o.after != "") {
		return nil, usagef("export: -resume needs -o FILE and no -after")
	}
	o.query = url.Values{"format": {o.format}}
	vals := map[string]string{"org": org, "user": user, "event-type": eventType}
	for flagName, param := range exportParams[o.history] {
		if vals[flagName] == "" {
			return nil, usagef("export %s: -%s is required", o.history, flagName)
		}
		o.query.Set(param, vals[flagName])
	}
	if filter != "" {
		o.query.Set("filter", filter)
	}
	return o, nil
}

// output opens where the export goes: stdout, or -o (appended to with
// -resume, which then starts after the file's last cursor).
func (o *exportOptions) output(stdout io.Writer) (io.Writer, func(), error) {
	if o.out == "-" {
		return stdout, func() {}, nil
	}
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if o.resume {
		var err error
		if o.after, err = lastCursor(o.out, o.format); err != nil {
			return nil, nil, err
		}
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	file, err := os.OpenFile(o.out, flags, 0o644)
	if err != nil {
		return nil, nil, err
	}
	return file, func() { file.Close() }, nil
}

// request asks the server for the export and returns its body (without
// the CSV header when resuming a CSV file, which has it already).
func (o *exportOptions) request(ctx context.Context) (io.ReadCloser, error) {
	q := o.query
	if o.after != "" {
		q.Set("after", o.after)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(o.base, "/")+"/export/"+o.history+"?"+q.Encode(), nil)
	if err != nil {
		return nil, usagef("export: -url: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+o.key)
	resp, err := (&http.Client{Timeout: 0}).Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return nil, fmt.Errorf("export: %s: %s", resp.Status, bytes.TrimSpace(b))
	}
	if !o.resume || o.format != "csv" || o.after == "" {
		return resp.Body, nil
	}
	br := bufio.NewReader(resp.Body)
	if _, err := br.ReadString('\n'); err != nil && err != io.EOF {
		resp.Body.Close()
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{br, resp.Body}, nil
}

// lastCursor reads the cursor of the last whole line (record) of an export
// file and cuts off what follows it: an interrupted transfer may have left
// half a line.
func lastCursor(path, format string) (string, error) {
	file, err := os.Open(path)
	if os.IsNotExist(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	defer file.Close()
	var cursor string
	var end int64
	if format == "csv" {
		// CSV cells may hold line breaks: records are read as CSV.
		r := csv.NewReader(bufio.NewReader(file))
		r.FieldsPerRecord = -1
		for {
			rec, err := r.Read()
			if err != nil {
				break
			}
			if off := r.InputOffset(); len(rec) > 0 && rec[0] != "cursor" {
				cursor, end = rec[0], off
			} else {
				end = off
			}
		}
	} else {
		br := bufio.NewReaderSize(file, 1<<20)
		var off int64
		for {
			line, err := br.ReadBytes('\n')
			if err != nil {
				break
			}
			off += int64(len(line))
			var l struct {
				Cursor string `json:"cursor"`
			}
			if json.Unmarshal(line, &l) != nil || l.Cursor == "" {
				return "", fmt.Errorf("export -resume: %s holds a line that is not an export line", path)
			}
			cursor, end = l.Cursor, off
		}
	}
	return cursor, os.Truncate(path, end)
}
