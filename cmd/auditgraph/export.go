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
	f := newFlagSet(e, cmd)
	var base, key, org, user, eventType, filter, after, format, out string
	var resume bool
	f.stringVar(&base, "url", "AUDITGRAPH_URL", "http://127.0.0.1:8080", "the server's base URL")
	f.stringVar(&key, "key", "AUDITGRAPH_API_KEY", "", "API key (cal_…) to export with")
	f.StringVar(&org, "org", "", "organization id (attribute-assignments, member-change-logs)")
	f.StringVar(&user, "user", "", "member's user id (attribute-assignments, member-change-logs)")
	f.StringVar(&eventType, "event-type", "", "event type id (event-types)")
	f.StringVar(&filter, "filter", "", `the connection's filter as JSON, e.g. {"timestamp":{"from":"2026-01-01T00:00:00Z"}}`)
	f.StringVar(&after, "after", "", "start after this cursor")
	f.StringVar(&format, "format", "ndjson", "ndjson or csv")
	f.StringVar(&out, "o", "-", "output file; - writes to stdout")
	f.BoolVar(&resume, "resume", false, "continue an interrupted export into -o, after the cursor of its last whole line")
	rest, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(rest) != 1 || exportParams[rest[0]] == nil {
		f.Usage()
		return usagef("export: want one history: attribute-assignments, event-types or member-change-logs")
	}
	history := rest[0]
	if key == "" {
		return usagef("export: -key (AUDITGRAPH_API_KEY) is required")
	}
	if resume && (out == "-" || after != "") {
		return usagef("export: -resume needs -o FILE and no -after")
	}
	q := url.Values{"format": {format}}
	vals := map[string]string{"org": org, "user": user, "event-type": eventType}
	for flagName, param := range exportParams[history] {
		if vals[flagName] == "" {
			return usagef("export %s: -%s is required", history, flagName)
		}
		q.Set(param, vals[flagName])
	}
	if filter != "" {
		q.Set("filter", filter)
	}
	var w io.Writer = e.stdout
	if out != "-" {
		flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
		if resume {
			if after, err = lastCursor(out, format); err != nil {
				return err
			}
			flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
		}
		file, err := os.OpenFile(out, flags, 0o644)
		if err != nil {
			return err
		}
		defer file.Close()
		w = file
	}
	if after != "" {
		q.Set("after", after)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/export/"+history+"?"+q.Encode(), nil)
	if err != nil {
		return usagef("export: -url: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := (&http.Client{Timeout: 0}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return fmt.Errorf("export: %s: %s", resp.Status, bytes.TrimSpace(b))
	}
	body := io.Reader(resp.Body)
	if resume && format == "csv" && after != "" {
		// The file has its header already.
		br := bufio.NewReader(resp.Body)
		if _, err := br.ReadString('\n'); err != nil && err != io.EOF {
			return err
		}
		body = br
	}
	start := time.Now()
	n, err := io.Copy(w, body)
	if err != nil {
		return fmt.Errorf("export interrupted after %d bytes (run again with -resume): %w", n, err)
	}
	fmt.Fprintf(e.stderr, "exported %d bytes in %s\n", n, time.Since(start).Round(time.Millisecond))
	return nil
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
