package model

import (
	"reflect"
	"strings"
	"testing"
)

func TestStoredColumnsFollowBunTags(t *testing.T) {
	type Group struct {
		Note *string `bun:"note"`
	}
	type row struct {
		ID       string         `bun:"id,pk"`
		Actor    ActorSnapshot  `bun:"embed:"`
		Who      PersonSnapshot `bun:"embed:by_"`
		Skipped  string         `bun:"-"`
		Derived  int64          `bun:"derived,scanonly"`
		hidden   string
		Untagged int64
		Group
	}
	cols, err := StoredColumns(reflect.TypeFor[row]())
	if err != nil {
		t.Fatal(err)
	}
	var names, fields []string
	for _, c := range cols {
		names = append(names, c.Name)
		fields = append(fields, c.Field)
	}
	wantNames := "id actor_type actor_ref actor_name actor_email actor_avatar by_impersonated_by_name by_impersonated_by_email by_impersonated_by_avatar  note"
	if got := strings.Join(names, " "); got != wantNames {
		t.Errorf("names\n%s\nwant\n%s", got, wantNames)
	}
	wantFields := "ID Actor.Type Actor.Ref Actor.Name Actor.Email Actor.Avatar Who.Name Who.Email Who.Avatar Untagged Note"
	if got := strings.Join(fields, " "); got != wantFields {
		t.Errorf("fields\n%s\nwant\n%s", got, wantFields)
	}
	var r row
	if off := cols[len(cols)-1].Offset; off != reflect.TypeFor[row]().Field(7).Offset {
		t.Errorf("Note's offset %d, want the embedded group's %d", off, reflect.TypeFor[row]().Field(7).Offset)
	}
	_ = r.hidden

	type pointerEmbed struct {
		*Group
	}
	if _, err := StoredColumns(reflect.TypeFor[pointerEmbed]()); err == nil || !strings.Contains(err.Error(), "embedded pointer") {
		t.Errorf("an embedded pointer: err = %v", err)
	}
}
