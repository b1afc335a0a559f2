package reliability

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/auditgraph/auditgraph/db"
)

// checkReplicaMetrics scrapes inst's /metrics after it served reads with
// tokens: the replicas' series (wired beside the server, not in it) are
// there with their names and agree with the replica set, and the statement
// count takes in the replicas' statements.
func checkReplicaMetrics(t *testing.T, inst *instance) {
	t.Helper()
	before := inst.store.Statements() + inst.replicas.Statements()
	resp, err := http.Get(inst.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	series := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.LastIndexByte(line, ' '); i > 0 && !strings.HasPrefix(line, "#") {
			v, err := strconv.ParseFloat(line[i+1:], 64)
			if err == nil {
				series[line[:i]] = v
			}
		}
	}
	after := inst.store.Statements() + inst.replicas.Statements()
	status := inst.replicas.Status()
	if len(status) != 1 {
		t.Fatalf("%d replicas, want 1", len(status))
	}
	name := `{replica="` + status[0].Name + `"}`
	for _, s := range []string{"auditgraph_replica_in_rotation" + name, "auditgraph_replica_lag_seconds" + name,
		"auditgraph_replica_lag_bytes" + name, "auditgraph_replica_consistency_wait_seconds_count"} {
		if _, ok := series[s]; !ok {
			t.Errorf("/metrics has no %s", s)
		}
	}
	want := 0.0
	if status[0].InRotation {
		want = 1
	}
	if got := series["auditgraph_replica_in_rotation"+name]; got != want {
		t.Errorf("auditgraph_replica_in_rotation%s = %v, want %v (status %+v)", name, got, want, status[0])
	}
	if got := series["auditgraph_replica_consistency_wait_seconds_count"]; got == 0 {
		t.Error("auditgraph_replica_consistency_wait_seconds observed no read with a token")
	}
	reads, fallbacks := inst.replicas.Reads()
	if got := series["auditgraph_replica_reads_total"]; got == 0 || got > float64(reads) {
		t.Errorf("auditgraph_replica_reads_total = %v, replica set counts %d", got, reads)
	}
	if got := series[`auditgraph_replica_fallbacks_total{reason="`+db.FallbackTokenAhead+`"}`]; got != float64(fallbacks[db.FallbackTokenAhead]) {
		t.Errorf("token_ahead fallbacks: /metrics %v, replica set %d", got, fallbacks[db.FallbackTokenAhead])
	}
	if got := series["auditgraph_sql_statements_total"]; got < float64(before) || got > float64(after) {
		t.Errorf("auditgraph_sql_statements_total = %v, want between %d and %d (primary and replicas)", got, before, after)
	}
}
