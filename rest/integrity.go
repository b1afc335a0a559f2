package rest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/auditgraph/auditgraph/model"
)

// The integrity endpoints are this project's own extension, not part of any
// existing client's contract: GET only, JSON bodies, errors in the /v2
// envelope. Each runs one GraphQL operation, like the endpoints above, so
// who may read what is decided by the schema's rules.
//
//	GET /integrity/entries/{history}/{id}             the entry's proof (what `auditgraph verify proof` reads)
//	GET /integrity/streams/{kind}/{id}                a stream's size and latest signed checkpoint
//	GET /integrity/streams/{kind}/{id}/consistency    ?from=N[&to=M]: a consistency proof

// historyKinds maps the path's history names to the schema's enum.
var historyKinds = map[string]string{
	"attribute-assignments": "ATTRIBUTE_ASSIGNMENT",
	"event-types":           "EVENT_TYPE",
	"member-change-logs":    "MEMBER_CHANGE_LOG",
}

// IntegrityEntry answers GET /integrity/entries/{history}/{id}.
func (a *API) IntegrityEntry(w http.ResponseWriter, r *http.Request) {
	kind, ok := historyKinds[r.PathValue("history")]
	if !ok {
		WriteCalError(w, r, model.InvalidField("history", r.PathValue("history"),
			"history must be attribute-assignments, event-types or member-change-logs"))
		return
	}
	var data struct {
		EntryIntegrity struct {
			ProofJSON string `json:"proofJson"`
		} `json:"entryIntegrity"`
	}
	if err := a.run(r.Context(), `query($h: HistoryKind!, $id: ID!) { entryIntegrity(history: $h, id: $id) { proofJson } }`,
		map[string]any{"h": kind, "id": r.PathValue("id")}, "entryIntegrity", nil, &data); err != nil {
		WriteCalError(w, r, err)
		return
	}
	writeBody(w, http.StatusOK, []byte(data.EntryIntegrity.ProofJSON))
}

type streamState struct {
	Stream         string  `json:"stream"`
	Size           int     `json:"size"`
	Checkpoint     *string `json:"checkpoint"`
	CheckpointSize int     `json:"checkpointSize"`
	CheckpointRoot *string `json:"checkpointRoot"`
}

// IntegrityStream answers GET /integrity/streams/{kind}/{id}.
func (a *API) IntegrityStream(w http.ResponseWriter, r *http.Request) {
	var data struct {
		IntegrityStream streamState `json:"integrityStream"`
	}
	if err := a.run(r.Context(), `query($s: String!) { integrityStream(stream: $s) { stream size checkpoint checkpointSize checkpointRoot } }`,
		map[string]any{"s": streamName(r)}, "integrityStream", nil, &data); err != nil {
		WriteCalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, data.IntegrityStream)
}

// IntegrityConsistency answers GET /integrity/streams/{kind}/{id}/consistency.
func (a *API) IntegrityConsistency(w http.ResponseWriter, r *http.Request) {
	vars := map[string]any{"s": streamName(r)}
	for _, p := range []struct{ name, arg string }{{"from", "from"}, {"to", "to"}} {
		v := r.URL.Query().Get(p.name)
		if v == "" {
			if p.name == "from" {
				WriteCalError(w, r, model.InvalidField("from", "", "from is required"))
				return
			}
			continue
		}
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 0 {
			WriteCalError(w, r, model.InvalidField(p.name, v, "%s must be a tree size (a non-negative number)", p.name))
			return
		}
		vars[p.arg] = n
	}
	var data struct {
		IntegrityStream struct {
			Stream         string          `json:"stream"`
			CheckpointSize int             `json:"checkpointSize"`
			Proof          json.RawMessage `json:"consistencyProof"`
		} `json:"integrityStream"`
	}
	if err := a.run(r.Context(), `query($s: String!, $from: Int!, $to: Int) { integrityStream(stream: $s) { stream checkpointSize consistencyProof(fromSize: $from, toSize: $to) } }`,
		vars, "integrityStream", map[string]param{"fromSize": {name: "from"}, "toSize": {name: "to"}}, &data); err != nil {
		WriteCalError(w, r, err)
		return
	}
	to := data.IntegrityStream.CheckpointSize
	if v, ok := vars["to"].(int64); ok {
		to = int(v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"stream": data.IntegrityStream.Stream, "fromSize": vars["from"], "toSize": to,
		"proof": data.IntegrityStream.Proof})
}

func streamName(r *http.Request) string {
	return strings.ToLower(r.PathValue("kind")) + "/" + r.PathValue("id")
}
