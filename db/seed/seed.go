package seed

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/model"
	"github.com/google/uuid"
)

// Demo ids, stable across runs: tests and the README refer to them.
const (
	AcmeID   int64 = 1
	GlobexID int64 = 2

	EngineeringTeamID int64 = 1
	SalesTeamID       int64 = 2
	SupportTeamID     int64 = 3
	FreelanceTeamID   int64 = 4

	OwnerUserID    int64 = 1 // Acme OWNER
	AdminUserID    int64 = 2 // Acme ADMIN
	MemberUserID   int64 = 3 // Acme MEMBER; owns a personal event type; the member with the long histories
	AuditorUserID  int64 = 4 // Acme MEMBER with the attribute-auditor custom role
	OutsiderUserID int64 = 5 // OWNER of Globex, nobody in Acme
	NoRoleUserID   int64 = 6 // Acme MEMBER without permissions; assigned a managed child

	PersonalEventTypeID int64 = 1 // owned by MemberUserID
	TeamEventTypeID     int64 = 2 // Acme Engineering, the long history
	ManagedParentID     int64 = 3 // Acme Engineering, managed
	ManagedChildID      int64 = 4 // child of 3, assigned to NoRoleUserID
	SalesEventTypeID    int64 = 5 // Acme Sales
	GlobexEventTypeID   int64 = 6 // Globex Support
	FreelanceEventType  int64 = 7 // team without an organization

	AuditorRoleID int64 = 1
)

// Result is what a seed run wrote: the demo's ids and fresh keys.
type Result struct {
	Organizations map[string]Ref    `json:"organizations"`
	Users         map[string]Ref    `json:"users"`
	EventTypes    map[string]int64  `json:"eventTypes"`
	Keys          map[string]string `json:"keys"`
	Entries       map[string]int    `json:"entries"`
}

// Ref is an id in both forms.
type Ref struct {
	ID       int64  `json:"id"`
	PublicID string `json:"publicId"`
	Name     string `json:"name,omitempty"`
}

// Roles whose keys a seed run prints, in order.
var Roles = []string{"owner", "admin", "member", "auditor", "outsider", "writer"}

var roleUser = map[string]int64{
	"owner": OwnerUserID, "admin": AdminUserID, "member": MemberUserID,
	"auditor": AuditorUserID, "outsider": OutsiderUserID, "writer": OwnerUserID,
}

// epoch is the demo histories' first instant.
var epoch = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// Run writes the demo data and creates one fresh API key per demo role.
func Run(ctx context.Context, s model.Store) (*Result, error) {
	res := &Result{
		Organizations: map[string]Ref{}, Users: map[string]Ref{},
		EventTypes: map[string]int64{}, Keys: map[string]string{}, Entries: map[string]int{},
	}
	err := s.InTx(ctx, func(tx model.Store) error {
		if err := directory(ctx, tx, res); err != nil {
			return fmt.Errorf("seed directory: %w", err)
		}
		if err := histories(ctx, tx, res); err != nil {
			return fmt.Errorf("seed histories: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, role := range Roles {
		secret := model.NewKeySecret()
		k := &model.APIKey{Hash: model.HashKey(secret), Hint: model.KeyHint(secret), Name: "demo " + role, UserID: roleUser[role]}
		if role == "writer" {
			org := AcmeID
			k.OrganizationID = &org
			k.Scopes = []string{model.ScopeWrite}
		}
		if err := s.CreateAPIKey(ctx, k); err != nil {
			return nil, fmt.Errorf("seed key: %w", err)
		}
		res.Keys[role] = secret
	}
	return res, nil
}

// ids makes the deterministic entry ids: UUIDv7 layout (time-ordered by the
// entry's timestamp) with random bits from a seeded generator.
type ids struct{ rng *rand.Rand }

func newIDs(seed uint64) *ids { return &ids{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))} }

func (g *ids) uuid(ts time.Time) string {
	var u uuid.UUID
	ms := uint64(ts.UnixMilli())
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], ms)
	copy(u[0:6], b[2:8])
	binary.BigEndian.PutUint64(u[8:16], g.rng.Uint64())
	binary.BigEndian.PutUint16(u[6:8], uint16(g.rng.Uint32()))
	u[6] = (u[6] & 0x0f) | 0x70
	u[8] = (u[8] & 0x3f) | 0x80
	return u.String()
}

func (g *ids) logID(ts time.Time) string {
	u, _ := uuid.Parse(g.uuid(ts))
	return "log_" + hex.EncodeToString(u[:])
}

func ptr[T any](v T) *T { return &v }

// Template migrates the database at url and writes the demo into it: the
// template database of tests that start from the demo.
func Template(ctx context.Context, url string) error {
	d, err := db.Open(url, db.Options{})
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		return err
	}
	_, err = Run(ctx, db.NewStore(d))
	return err
}
