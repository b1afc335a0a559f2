package integrity

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestIndependentConsistencyCheck runs the independent verifier
// (testdata/verify_proof.py) on consistency proofs between trees of many
// shapes: power-of-two and other older sizes, perfect and ragged newer ones.
func TestIndependentConsistencyCheck(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("python3 is not installed (.ci/run installs it)")
		}
		t.Skip("SKIPPED: python3 is not installed; the independent consistency check did not run")
	}
	m := newMemTree(t, 1100)
	skey, _, _ := GenerateKey("test")
	signer, err := NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	st := OrganizationStream(1)
	for _, c := range [][2]uint64{{1, 2}, {1, 1100}, {2, 3}, {4, 1024}, {256, 1100}, {255, 256}, {500, 501}, {7, 1024}, {1024, 1100}, {999, 1000}} {
		path, err := ConsistencyProof(c[0], c[1], m.reader(true))
		if err != nil {
			t.Fatal(err)
		}
		old, _ := signer.Sign(st, c[0], m.roots[c[0]])
		newer, _ := signer.Sign(st, c[1], m.roots[c[1]])
		for _, broken := range []bool{false, true} {
			p := B64s(path)
			if broken {
				p = append([]string{B64(m.leaves[0])}, p...)
			}
			doc, _ := json.Marshal(map[string]any{"old": old, "new": newer, "proof": p})
			cmd := exec.Command(python, "testdata/verify_proof.py", signer.VerifierKey(), "consistency")
			cmd.Stdin = bytes.NewReader(doc)
			out, err := cmd.CombinedOutput()
			want := fmt.Sprintf("ok org/1 %d %d", c[0], c[1])
			if got := strings.TrimSpace(string(out)); broken != (err != nil) || (!broken && got != want) {
				t.Errorf("%v (broken %v): %v %s", c, broken, err, out)
			}
		}
	}
}
