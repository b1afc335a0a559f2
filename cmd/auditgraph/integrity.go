package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/integrity"
)

// defaultKeyFile is where the embedded default keeps its generated signing
// key, beside its database file.
const defaultKeyFile = "auditgraph.integrity.key"

// checkpointSigner loads the signing key: from keyFile when set, else the
// embedded default's generated one, else none (the log still records every
// entry; checkpoints wait for a key).
func checkpointSigner(keyFile string, embedded bool, log *slog.Logger) (*integrity.Signer, error) {
	if keyFile == "" && !embedded {
		log.Warn("no -integrity-key-file: integrity checkpoints are not signed, so entries get no proofs")
		return nil, nil
	}
	if keyFile == "" {
		keyFile = defaultKeyFile
		s, created, err := integrity.LoadOrCreateKey(keyFile)
		if err != nil {
			return nil, fmt.Errorf("integrity key %s: %w", keyFile, err)
		}
		if created {
			log.Info("generated the integrity signing key", "file", keyFile, "verifier_key", s.VerifierKey())
		}
		return s, nil
	}
	s, created, err := integrity.LoadOrCreateKey(keyFile)
	if err != nil {
		return nil, fmt.Errorf("-integrity-key-file (AUDITGRAPH_INTEGRITY_KEY_FILE) %s: %w", keyFile, err)
	}
	if created {
		log.Info("generated the integrity signing key", "file", keyFile, "verifier_key", s.VerifierKey())
	}
	return s, nil
}

// signCheckpoints signs the grown streams every interval until ctx ends or
// the returned stop is called, which signs once more: what was written before
// shutdown is covered.
func signCheckpoints(ctx context.Context, store *db.Store, signer *integrity.Signer, every time.Duration, log *slog.Logger) (stop func()) {
	sign := func(ctx context.Context) {
		n, err := store.SignCheckpoints(ctx, signer)
		if err != nil && ctx.Err() == nil {
			log.Error("signing integrity checkpoints", "err", err)
		} else if n > 0 {
			log.Debug("signed integrity checkpoints", "streams", n)
		}
	}
	sign(ctx)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				sign(ctx)
			}
		}
	}()
	return func() {
		cancel()
		<-done
		sctx, c := context.WithTimeout(context.Background(), 5*time.Second)
		defer c()
		sign(sctx)
	}
}
