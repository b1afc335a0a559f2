package integrity

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
)

// DefaultKeyName names generated signing keys (the name line of the
// note signature, which verifiers match).
const DefaultKeyName = "auditgraph"

// Signer signs checkpoints. It remembers the latest checkpoint it signed
// of each stream, so that checkpoints removed from the database while it
// runs cannot make it sign a rewritten tree (see db.SignCheckpoints).
type Signer struct {
	s        note.Signer
	verifier string
	v        *Verifier

	mu   sync.Mutex
	last map[Stream]Checkpoint
}

// Verifier is the verifier of this signer's checkpoints.
func (s *Signer) Verifier() *Verifier { return s.v }

// Last is the latest checkpoint of stream this signer signed, if any.
func (s *Signer) Last(stream Stream) (Checkpoint, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.last[stream]
	return c, ok
}

// NewSigner parses a signing key in the note format
// ("PRIVATE+KEY+<name>+<hash>+<key>").
func NewSigner(skey string) (*Signer, error) {
	skey = strings.TrimSpace(skey)
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	vkey, err := verifierOf(skey)
	if err != nil {
		return nil, err
	}
	v, err := NewVerifier(vkey)
	if err != nil {
		return nil, err
	}
	return &Signer{s: s, verifier: vkey, v: v, last: map[Stream]Checkpoint{}}, nil
}

// verifierOf derives the verifier key of a note signing key: the fields are
// "PRIVATE+KEY+name+hash+base64(alg||seed)"; the public half follows from
// the seed.
func verifierOf(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 {
		return "", errors.New("signing key: not PRIVATE+KEY+name+hash+key")
	}
	seed, err := decodeKey(parts[4])
	if err != nil {
		return "", err
	}
	return note.NewEd25519VerifierKey(parts[2], seed.Public().(ed25519.PublicKey))
}

// VerifierKey is the key that verifies this signer's checkpoints
// ("<name>+<hash>+<key>"), what `auditgraph verify` takes.
func (s *Signer) VerifierKey() string { return s.verifier }

// Sign signs the checkpoint of a stream at a size and root: a C2SP signed
// note whose text is the tlog checkpoint ("<origin>\n<size>\n<root>\n").
func (s *Signer) Sign(stream Stream, size uint64, root []byte) (string, error) {
	text := log.Checkpoint{Origin: stream.Origin(), Size: size, Hash: root}.Marshal()
	b, err := note.Sign(&note.Note{Text: string(text)}, s.s)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	if c, ok := s.last[stream]; !ok || c.Size < size {
		s.last[stream] = Checkpoint{Stream: stream, Size: size, Root: bytes.Clone(root)}
	}
	s.mu.Unlock()
	return string(b), nil
}

// GenerateKey makes a new Ed25519 signing key and its verifier key.
func GenerateKey(name string) (skey, vkey string, err error) {
	return note.GenerateKey(rand.Reader, name)
}

// LoadOrCreateKey reads the signing key in path, creating the file (mode
// 0600) with a new key when it does not exist. created tells which.
func LoadOrCreateKey(path string) (s *Signer, created bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		skey, _, err := GenerateKey(DefaultKeyName)
		if err != nil {
			return nil, false, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, false, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, false, err
		}
		if _, err := f.WriteString(skey + "\n"); err != nil {
			f.Close()
			return nil, false, err
		}
		if err := f.Close(); err != nil {
			return nil, false, err
		}
		s, err := NewSigner(skey)
		return s, true, err
	}
	if err != nil {
		return nil, false, err
	}
	s, err = NewSigner(string(b))
	return s, false, err
}

// Verifier checks signed checkpoints.
type Verifier struct {
	v   note.Verifiers
	key string
}

// NewVerifier parses a verifier key ("<name>+<hash>+<key>").
func NewVerifier(vkey string) (*Verifier, error) {
	v, err := note.NewVerifier(strings.TrimSpace(vkey))
	if err != nil {
		return nil, fmt.Errorf("verifier key: %w", err)
	}
	return &Verifier{v: note.VerifierList(v), key: strings.TrimSpace(vkey)}, nil
}

// Checkpoint is a verified checkpoint of a stream.
type Checkpoint struct {
	Stream Stream
	Size   uint64
	Root   []byte
}

// Open verifies a signed checkpoint and returns what it states.
func (v *Verifier) Open(signed string) (*Checkpoint, error) {
	n, err := note.Open([]byte(signed), v.v)
	if err != nil {
		return nil, fmt.Errorf("checkpoint signature: %w", err)
	}
	var cp log.Checkpoint
	rest, err := cp.Unmarshal([]byte(n.Text))
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, errors.New("checkpoint: unexpected extension lines")
	}
	name, ok := strings.CutPrefix(cp.Origin, OriginPrefix)
	if !ok {
		return nil, fmt.Errorf("checkpoint origin %q is not an auditgraph stream", cp.Origin)
	}
	st, err := ParseStream(name)
	if err != nil {
		return nil, err
	}
	if len(cp.Hash) != HashSize {
		return nil, errors.New("checkpoint: root is not a SHA-256 hash")
	}
	return &Checkpoint{Stream: st, Size: cp.Size, Root: cp.Hash}, nil
}

// decodeKey reads the base64 key field of a note signing key: the
// algorithm byte (1: Ed25519) and the 32-byte seed.
func decodeKey(b64 string) (ed25519.PrivateKey, error) {
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(key) != 1+ed25519.SeedSize || key[0] != 1 {
		return nil, errors.New("signing key: not an Ed25519 note key")
	}
	return ed25519.NewKeyFromSeed(key[1:]), nil
}

// Key is the verifier key the verifier was made from.
func (v *Verifier) Key() string { return v.key }
