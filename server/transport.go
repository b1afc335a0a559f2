package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/auditgraph/auditgraph/model"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// postJSON is gqlgen's POST transport with a cheaper way out: a response is
// written around the data gqlgen has just produced, where gqlgen's own
// writer passes the whole document through encoding/json again, which
// re-validates and compacts it byte by byte (about a tenth of the CPU of a
// page request). A body over the size limit is answered 413 with a coded
// error. Unreadable or undecodable bodies are handed to transport.POST as
// they are, so their answers stay gqlgen's; operations that fail to parse,
// validate or pass the limits are answered as transport.POST answers them,
// without running the checks a second time.
type postJSON struct{ transport.POST }

func (t postJSON) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	start := graphql.Now()
	body, err := io.ReadAll(r.Body)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		w.Header().Set("Content-Type", responseContentType(r))
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		writeResponse(w, &graphql.Response{Errors: gqlerror.List{{
			Message:    fmt.Sprintf("the request body is too large: the limit is %d bytes", tooLarge.Limit),
			Extensions: map[string]any{"code": model.CodeInvalid},
		}}})
		return
	}
	if err != nil {
		r.Body = io.NopCloser(errReader{err})
		t.POST.Do(w, r, exec)
		return
	}
	replay := func() {
		r.Body = io.NopCloser(bytes.NewReader(body))
		t.POST.Do(w, r, exec)
	}
	params := &graphql.RawParams{}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(params); err != nil {
		replay()
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	rc, errs := exec.CreateOperationContext(ctx, params)
	ct := responseContentType(r)
	w.Header().Set("Content-Type", ct)
	if errs != nil {
		// Answered here rather than replayed: a replay would measure,
		// parse and validate the document a second time. The status is
		// transport.POST's.
		status := http.StatusOK
		if errcode.GetErrorKind(errs) == errcode.KindProtocol {
			status = http.StatusUnprocessableEntity
			if ct == "application/graphql-response+json" {
				status = http.StatusBadRequest
			}
		}
		w.WriteHeader(status)
		writeResponse(w, exec.DispatchError(graphql.WithOperationContext(ctx, rc), errs))
		return
	}
	if rc.Operation != nil && rc.Operation.Operation == ast.Subscription {
		// A subscription would hold its request open for one event.
		w.WriteHeader(http.StatusBadRequest)
		writeResponse(w, &graphql.Response{Errors: gqlerror.List{{
			Message:    "subscriptions run over graphql-transport-ws (WebSocket) or server-sent events (Accept: text/event-stream)",
			Extensions: map[string]any{"code": model.CodeInvalid},
		}}})
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, rc)
	writeResponse(w, responses(ctx))
}

// writeResponse writes resp as encoding/json would, without re-encoding
// its data.
func writeResponse(w io.Writer, resp *graphql.Response) {
	if resp == nil || resp.Label != "" || resp.Path != nil || resp.HasNext != nil {
		b, err := json.Marshal(resp)
		if err != nil {
			panic(err)
		}
		w.Write(b)
		return
	}
	var buf bytes.Buffer
	buf.Grow(len(resp.Data) + 64)
	buf.WriteByte('{')
	if len(resp.Errors) > 0 {
		errs, err := json.Marshal(resp.Errors)
		if err != nil {
			panic(err)
		}
		buf.WriteString(`"errors":`)
		buf.Write(errs)
		buf.WriteByte(',')
	}
	buf.WriteString(`"data":`)
	if len(resp.Data) == 0 {
		buf.WriteString("null")
	} else {
		buf.Write(resp.Data)
	}
	if len(resp.Extensions) > 0 {
		ext, err := json.Marshal(resp.Extensions)
		if err != nil {
			panic(err)
		}
		buf.WriteString(`,"extensions":`)
		buf.Write(ext)
	}
	buf.WriteByte('}')
	w.Write(buf.Bytes())
}

// responseContentType is transport.POST's choice of media type from the
// Accept header.
func responseContentType(r *http.Request) string {
	const (
		plain    = "application/json"
		response = "application/graphql-response+json"
	)
	accept := r.Header.Get("Accept")
	if accept == "" {
		return plain
	}
	for part := range strings.SplitSeq(accept, ",") {
		mediaType, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mediaType {
		case "*/*", "application/*", plain:
			return plain
		case response:
			return response
		}
	}
	return response
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
