package display

import "testing"

// benchPayload is a typical modified entry: one value change and one
// collection change with an addition and an update, about 500 bytes.
var benchPayload = []byte(`{"version":1,"changedFields":["bookingFields","length"],"changes":[` +
	`{"field":"length","label":"Duration","type":"value","previousValue":30,"newValue":45},` +
	`{"field":"bookingFields","label":"Booking questions","type":"collection",` +
	`"added":[{"name":"phone","type":"phone","label":"Phone number","required":true,"editable":"user"}],` +
	`"removed":[],` +
	`"updated":[{"previousValue":{"name":"notes","type":"textarea","label":"Additional notes","required":false},` +
	`"newValue":{"name":"notes","type":"textarea","label":"Anything we should know?","required":true}}]}]}`)

func BenchmarkRenderEventTypePayload(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchPayload)))
	for b.Loop() {
		r := RenderEventTypePayload(ActionEventTypeModified, benchPayload)
		if r.HasError {
			b.Fatal("HasError")
		}
	}
}
