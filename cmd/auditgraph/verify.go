package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/integrity"
)

var verifyCommand = &command{
	name:    "verify",
	args:    "-key VERIFIER_KEY [proof]",
	summary: "Check the integrity log against its signed checkpoints, or one entry's proof (JSON on stdin).",
	run:     verify,
}

// maxProofBytes bounds the proof read from stdin: a proof of a tree of 2^63
// entries is 63 hashes and an entry of at most a few MB.
const maxProofBytes = 16 << 20

// findingsError makes verify exit 1 after it reported what it found.
type findingsError struct{ n int }

func (f *findingsError) Error() string { return fmt.Sprintf("%d integrity findings", f.n) }

func verify(ctx context.Context, e *env, cmd *command, args []string) error {
	var databaseURL, key string
	f := newFlagSet(e, cmd)
	databaseFlag(f, &databaseURL)
	f.stringVar(&key, "key", "AUDITGRAPH_VERIFIER_KEY", "", "verifier key of the checkpoint signer (<name>+<hash>+<key>, printed by serve)")
	rest, err := f.parse(args)
	if err != nil {
		return err
	}
	if key == "" {
		return usagef("verify needs -key (AUDITGRAPH_VERIFIER_KEY): the verifier key serve printed")
	}
	v, err := integrity.NewVerifier(key)
	if err != nil {
		return usagef("-key: %v", err)
	}
	switch {
	case len(rest) == 1 && rest[0] == "proof":
		in := e.stdin
		if in == nil {
			in = os.Stdin
		}
		return verifyProof(e, in, v)
	case len(rest) > 0:
		return usagef("verify takes no arguments but proof, got %q", rest)
	}
	// Read only: no migration, no backfill; the log is checked as it is.
	d, _, err := openAdmin(databaseURL)
	if err != nil {
		return err
	}
	defer d.Close()
	store := db.NewStore(d)
	start := time.Now()
	findings, streams := 0, 0
	var signed, logged uint64
	inserted, read, err := store.VerifyLog(ctx, v, func(r integrity.StreamResult) {
		streams++
		signed += r.Signed
		logged += r.Leaves
		status := "ok"
		if len(r.Findings) > 0 {
			status = "FAILED"
		}
		fmt.Fprintf(e.stdout, "%-6s %s: %d entries, %d covered by signed checkpoints\n", status, r.Stream, r.Leaves, r.Signed)
		for _, fd := range r.Findings {
			fmt.Fprintf(e.stdout, "  %s\n", fd)
		}
		findings += len(r.Findings)
	})
	if err != nil {
		return err
	}
	for _, fd := range inserted {
		fmt.Fprintf(e.stdout, "  %s\n", fd)
	}
	findings += len(inserted)
	elapsed := time.Since(start)
	fmt.Fprintf(e.stdout, "verified %d entries in %d streams (%d logged, %d signed) in %s: %.0f entries/s; %d findings\n",
		read, streams, logged, signed, elapsed.Round(time.Millisecond), float64(read)/max(elapsed.Seconds(), 1e-9), findings)
	if findings > 0 {
		return &findingsError{findings}
	}
	return nil
}

// verifyProof checks one entry's proof as a client would, with nothing but
// the verifier key.
func verifyProof(e *env, in io.Reader, v *integrity.Verifier) error {
	b, err := io.ReadAll(io.LimitReader(in, maxProofBytes+1))
	if err != nil {
		return err
	}
	if len(b) > maxProofBytes {
		return fmt.Errorf("the proof is larger than %d bytes", maxProofBytes)
	}
	var p integrity.EntryProof
	if err := json.Unmarshal(b, &p); err != nil {
		return fmt.Errorf("the proof is not EntryProof JSON: %w", err)
	}
	cp, err := p.Verify(v)
	if err != nil {
		fmt.Fprintf(e.stdout, "FAILED entry %s: %v\n", p.EntryID, err)
		return &findingsError{1}
	}
	fmt.Fprintf(e.stdout, "ok entry %s (%s) is at position %d of %s, in its checkpoint of size %d\n",
		p.EntryID, p.History, p.LeafIndex, cp.Stream, cp.Size)
	return nil
}
