package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/auditgraph/auditgraph/integrity"
)

var verifierKeyLine = regexp.MustCompile(`verify -key '([^']+)'`)

// TestVerifyCommand: the embedded default generates its signing key and
// prints the verifier key; with it alone, verify passes a clean database,
// fails an edited one naming the entry, and checks single proofs.
func TestVerifyCommand(t *testing.T) {
	dir := t.TempDir()
	p := startServe(t, dir, nil, "-addr", "127.0.0.1:0", "-checkpoint-interval", "200ms")
	p.waitListening(t)
	m := verifierKeyLine.FindStringSubmatch(p.stdout.String())
	if m == nil {
		t.Fatalf("the banner prints no verifier key:\n%s", p.stdout)
	}
	vkey := m[1]
	p.stop(t, syscall.SIGTERM) // signs once more on the way out
	fi, err := os.Stat(filepath.Join(dir, defaultKeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	dbPath := filepath.Join(dir, embeddedDatabase)

	code, out, errOut := cli(t, nil, "verify", "-database-url", dbPath, "-key", vkey)
	if code != exitOK || !strings.Contains(out, "; 0 findings") || !strings.Contains(out, "ok     org/1: ") {
		t.Fatalf("verify of a clean database: %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := cli(t, nil, "verify", "-database-url", dbPath); code != exitUsage || !strings.Contains(errOut, "-key") {
		t.Errorf("verify without a key: %d %s", code, errOut)
	}
	if code, _, _ := cli(t, nil, "verify", "-database-url", dbPath, "-key", "nonsense"); code != exitUsage {
		t.Errorf("verify with a malformed key: %d", code)
	}
	// Another deployment's key verifies nothing.
	_, other, _ := integrity.GenerateKey("other")
	if code, out, _ := cli(t, map[string]string{"AUDITGRAPH_VERIFIER_KEY": other}, "verify", "-database-url", dbPath); code != exitError ||
		!strings.Contains(out, "invalid-checkpoint") {
		t.Errorf("verify with another key: %d\n%s", code, out)
	}

	// One proof on stdin, as a client would check it.
	store := openTestStore(t, dbPath)
	var id string
	if err := store.DB().NewSelect().Table("member_change_logs").Column("id").OrderExpr("id").Limit(1).Scan(context.Background(), &id); err != nil {
		t.Fatal(err)
	}
	proof, err := store.EntryProof(context.Background(), integrity.MemberChangeLogs, id)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(proof)
	stdin := func(in []byte, args ...string) (int, string) {
		var out, errOut bytes.Buffer
		e := &env{stdin: bytes.NewReader(in), stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}
		return run(context.Background(), e, args), out.String() + errOut.String()
	}
	if code, out := stdin(b, "verify", "-key", vkey, "proof"); code != exitOK || !strings.HasPrefix(out, "ok entry "+id) {
		t.Fatalf("verify proof: %d %s", code, out)
	}
	if code, out := stdin([]byte("{"), "verify", "-key", vkey, "proof"); code != exitError || !strings.Contains(out, "not EntryProof JSON") {
		t.Errorf("verify proof of bad JSON: %d %s", code, out)
	}

	// Past the triggers, one entry edited: verify names it and exits 1.
	if _, err := store.DB().ExecContext(context.Background(), "DROP TRIGGER member_change_logs_no_update"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.DB().ExecContext(context.Background(), "UPDATE member_change_logs SET action = 'deleted' WHERE id = ?", id); err != nil {
		t.Fatal(err)
	}
	code, out, _ = cli(t, nil, "verify", "-database-url", dbPath, "-key", vkey)
	if code != exitError || !regexp.MustCompile(`modified org/\d+ position \d+ entry `+regexp.QuoteMeta(id)).MatchString(out) {
		t.Fatalf("verify of an edited database: %d\n%s", code, out)
	}
	// The entry's proof no longer verifies either.
	proof, err = store.EntryProof(context.Background(), integrity.MemberChangeLogs, id)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(proof)
	if code, out := stdin(b, "verify", "-key", vkey, "proof"); code != exitError || !strings.HasPrefix(out, "FAILED") {
		t.Errorf("verify proof of an edited entry: %d %s", code, out)
	}
}
