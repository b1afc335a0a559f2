package db_test

import (
	"testing"

	"github.com/auditgraph/auditgraph/db"
)

func TestLSNRoundTrip(t *testing.T) {
	for _, s := range []string{"0/0", "16/B374D848", "FFFFFFFF/FFFFFFFF", "0/1"} {
		l, err := db.ParseLSN(s)
		if err != nil || l.String() != s {
			t.Errorf("ParseLSN(%q) = %v (%s), %v", s, uint64(l), l, err)
		}
	}
	if a, _ := db.ParseLSN("1/0"); a <= mustLSN(t, "0/FFFFFFFF") {
		t.Error("1/0 does not sort after 0/FFFFFFFF")
	}
	for _, bad := range []string{"", "/", "1/", "/1", "1", "G/1", "123456789/1", "1/123456789", "-1/1", "1/2/3", " 1/2"} {
		if _, err := db.ParseLSN(bad); err == nil {
			t.Errorf("ParseLSN(%q) accepted", bad)
		}
	}
}

func mustLSN(t *testing.T, s string) db.LSN {
	t.Helper()
	l, err := db.ParseLSN(s)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:secret@h1:5432,h2:5432/db?target_session_attrs=read-write": "postgres://u:xxxxx@h1:5432,h2:5432/db?target_session_attrs=read-write",
		"postgres://u@h1,h2/db":       "postgres://u@h1,h2/db",
		"postgres://h1:1,h2:2/db":     "postgres://h1:1,h2:2/db",
		"postgresql://a:b@c:1/d?x=@y": "postgresql://a:xxxxx@c:1/d?x=@y",
	} {
		if got := db.RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
