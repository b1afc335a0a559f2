package reliability

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/db/seed"
	"github.com/auditgraph/auditgraph/model"
)

// TestSecretsStayHidden sends requests with good, unknown, revoked, expired
// and malformed credentials, and checks that no secret reaches the logs or
// the database, and that every refused key gets the very same answer.
func TestSecretsStayHidden(t *testing.T) {
	var logs syncBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := sqliteEnv(t, testConfig(), logger)
	ctx := context.Background()

	newKey := func(name string, expires *time.Time) (string, *model.APIKey) {
		secret := model.NewKeySecret()
		k := &model.APIKey{Hash: model.HashKey(secret), Hint: model.KeyHint(secret), Name: name, UserID: seed.OwnerUserID, ExpiresAt: expires}
		if err := e.store.CreateAPIKey(ctx, k); err != nil {
			t.Fatal(err)
		}
		return secret, k
	}
	revoked, rk := newKey("revoked", nil)
	if err := e.store.RevokeAPIKey(ctx, rk.ID, time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Hour)
	expired, _ := newKey("expired", &past)
	unknown := model.NewKeySecret()
	good := e.keys["owner"]

	secrets := map[string]string{"owner": good, "revoked": revoked, "expired": expired, "unknown": unknown}
	for role, s := range e.keys {
		secrets["demo "+role] = s
	}

	send := func(header, value string) (int, string) {
		t.Helper()
		body := fmt.Sprintf(`{"query":%q,"variables":{"id":%q,"first":2}}`, eventTypeHistoryQuery, teamEventType)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.url+"/graphql", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if header != "" {
			req.Header.Set(header, value)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var sb strings.Builder
		_, _ = fmt.Fprint(&sb, readAll(t, resp))
		return resp.StatusCode, sb.String()
	}

	// Good keys work, by either header.
	for _, h := range [][2]string{{"Authorization", "Bearer " + good}, {"X-API-Key", good}, {"Authorization", "bearer " + e.keys["admin"]}} {
		status, body := send(h[0], h[1])
		if status != http.StatusOK || strings.Contains(body, `"errors"`) {
			t.Fatalf("%s: %d %s", h[0], status, body)
		}
	}

	// Refused keys are indistinguishable.
	refused := map[string][2]string{
		"unknown":              {"Authorization", "Bearer " + unknown},
		"revoked":              {"Authorization", "Bearer " + revoked},
		"expired":              {"Authorization", "Bearer " + expired},
		"unknown by X-API-Key": {"X-API-Key", unknown},
		"revoked by X-API-Key": {"X-API-Key", revoked},
		"expired by X-API-Key": {"X-API-Key", expired},
		"malformed":            {"Authorization", "Basic " + revoked},
		"without prefix":       {"Authorization", "Bearer " + strings.TrimPrefix(unknown, model.KeyPrefix)},
	}
	var refStatus int
	var refBody, refName string
	for name, h := range refused {
		status, body := send(h[0], h[1])
		if !strings.Contains(body, model.CodeUnauthenticated) {
			t.Fatalf("%s key: %d %s", name, status, body)
		}
		if refName == "" {
			refStatus, refBody, refName = status, body, name
			continue
		}
		if status != refStatus || body != refBody {
			t.Errorf("the %s key and the %s key get different answers:\n%d %s\n%d %s", name, refName, status, body, refStatus, refBody)
		}
	}
	t.Logf("every refused key: %d %s", refStatus, refBody)

	// No secret in the logs, nor any recognizable part of one.
	out := logs.String()
	if !strings.Contains(out, `"msg":"request"`) {
		t.Fatalf("the requests were not logged; the check would prove nothing:\n%s", out)
	}
	for name, s := range secrets {
		bare := strings.TrimPrefix(s, model.KeyPrefix)
		for _, part := range []string{s, bare, bare[:16], bare[16:]} {
			if strings.Contains(out, part) {
				t.Errorf("the %s secret (or part %q of it) appears in the logs", name, part)
			}
		}
	}

	// The database holds hashes only: no column of api_keys contains a secret.
	var rows []map[string]any
	if err := e.store.DB().NewSelect().TableExpr("api_keys").Scan(ctx, &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) < len(e.keys)+2 {
		t.Fatalf("only %d api_keys rows", len(rows))
	}
	hashes := map[string]bool{}
	for _, row := range rows {
		for col, v := range row {
			text := fmt.Sprint(v)
			if b, ok := v.([]byte); ok {
				text = string(b)
			}
			for name, s := range secrets {
				bare := strings.TrimPrefix(s, model.KeyPrefix)
				if strings.Contains(text, bare[:16]) || strings.Contains(text, bare[16:]) {
					t.Errorf("api_keys.%s holds (part of) the %s secret: %q", col, name, text)
				}
			}
			if col == "key_hash" {
				hashes[text] = true
			}
		}
	}
	for name, s := range secrets {
		if name == "unknown" {
			continue
		}
		if !hashes[model.HashKey(s)] {
			t.Errorf("the %s key is not stored as its SHA-256", name)
		}
	}
}
