package main

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestServeReplicaConfig(t *testing.T) {
	parse := func(vars map[string]string, args ...string) (*serveConfig, error) {
		var errOut bytes.Buffer
		return parseServeConfig(&env{stdout: io.Discard, stderr: &errOut, getenv: func(k string) string { return vars[k] }}, serveCommand, args)
	}
	pg := map[string]string{"DATABASE_URL": "postgres://x@db1:5432,db2:5432/a?target_session_attrs=read-write"}
	c, err := parse(pg)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.replicaURLs) != 0 || c.replicas.MaxLag != 10*time.Second || c.replicas.MaxWait != 100*time.Millisecond || c.replicas.CheckInterval != time.Second {
		t.Errorf("defaults: %+v %+v", c.replicaURLs, c.replicas)
	}
	vars := map[string]string{
		"DATABASE_URL":               pg["DATABASE_URL"],
		"AUDITGRAPH_REPLICA_URLS":    "postgres://r@r1/a, postgres://r@r2:5432,r3:5432/a?target_session_attrs=standby",
		"AUDITGRAPH_REPLICA_MAX_LAG": "3s", "AUDITGRAPH_REPLICA_MAX_WAIT": "250ms",
	}
	c, err = parse(vars, "-replica-check-interval", "200ms")
	if err != nil {
		t.Fatal(err)
	}
	want := "postgres://r@r1/a|postgres://r@r2:5432,r3:5432/a?target_session_attrs=standby"
	if strings.Join(c.replicaURLs, "|") != want || c.replicas.MaxLag != 3*time.Second ||
		c.replicas.MaxWait != 250*time.Millisecond || c.replicas.CheckInterval != 200*time.Millisecond {
		t.Errorf("env and flags: %q %+v", c.replicaURLs, c.replicas)
	}
	for _, tc := range []struct {
		vars map[string]string
		args []string
		want string
	}{
		{nil, []string{"-replica-urls", "postgres://r@r1/a"}, "needs a PostgreSQL"},
		{pg, []string{"-replica-urls", "mysql://r1/a"}, "must be postgres:// URLs"},
		{pg, []string{"-replica-urls", "postgres://r1/a", "-replica-max-lag", "0s"}, "-replica-max-lag"},
		{pg, []string{"-replica-max-wait", "-1s"}, "-replica-max-wait"},
		{pg, []string{"-replica-max-wait", "11s"}, "-replica-max-wait"},
		{pg, []string{"-replica-check-interval", "1ms"}, "-replica-check-interval"},
		{pg, []string{"-replica-urls", strings.Repeat("postgres://r/a,", 17)}, "at most 16"},
	} {
		_, err := parse(tc.vars, tc.args...)
		var u *usageError
		if err == nil || !errors.As(err, &u) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v: %v, want a usage error about %q", tc.vars, tc.args, err, tc.want)
		}
	}
}
