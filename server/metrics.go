package server

import (
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the server's Prometheus series, on a registry of its own so
// several servers (tests) can live in one process.
type metrics struct {
	registry   *prometheus.Registry
	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	operations *prometheus.HistogramVec
	errors     *prometheus.CounterVec
	opNames    *labelSet
	codes      *labelSet
}

// newMetrics registers the server's series and the database's (db: the
// statement count, the connection pool, the replicas), which are read at
// each scrape.
func newMetrics(db []prometheus.Collector) *metrics {
	m := &metrics{
		opNames:  newLabelSet(maxOperationLabels),
		codes:    newLabelSet(maxCodeLabels),
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "auditgraph_http_requests_total", Help: "HTTP requests by route and status.",
		}, []string{"route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "auditgraph_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		operations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "auditgraph_graphql_operation_duration_seconds", Help: "GraphQL operation latency by operation name.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"operation"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "auditgraph_errors_total", Help: "Errors returned to callers by code.",
		}, []string{"code"}),
	}
	m.registry.MustRegister(m.requests, m.latency, m.operations, m.errors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.registry.MustRegister(db...)
	return m
}

func (m *metrics) observe(route string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}

// labelSet hands out metric label values from a bounded set: the first
// max distinct values that look like names are learned and kept, anything
// else is "other". A label value is a series forever, so a caller who
// picks them (operation names) must not be able to grow the set.
type labelSet struct {
	max int

	mu    sync.RWMutex
	known map[string]struct{}
}

func newLabelSet(max int, preset ...string) *labelSet {
	l := &labelSet{max: max, known: map[string]struct{}{}}
	for _, v := range preset {
		l.known[v] = struct{}{}
	}
	return l
}

// maxLabelLen bounds a learned label's length.
const maxLabelLen = 64

func (l *labelSet) label(v string) string {
	l.mu.RLock()
	_, ok := l.known[v]
	l.mu.RUnlock()
	if ok {
		return v
	}
	if !isName(v) {
		return "other"
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.known[v]; ok {
		return v
	}
	if len(l.known) >= l.max {
		return "other"
	}
	l.known[v] = struct{}{}
	return v
}

// isName reports whether v is a GraphQL name (or an error code) short
// enough to be a label.
func isName(v string) bool {
	if v == "" || len(v) > maxLabelLen {
		return false
	}
	for i, c := range v {
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// Bounds on the label sets: operation names learned (the first ones seen;
// a deployment's clients use a few dozen), and error codes.
const (
	maxOperationLabels = 100
	maxCodeLabels      = 32
)

// operationName is the operation label of name.
func (m *metrics) operationName(name string) string {
	if name == "" {
		return "anonymous"
	}
	return m.opNames.label(name)
}

// codeLabel is the code label of an error code.
func (m *metrics) codeLabel(code string) string {
	if code == "" {
		return "none"
	}
	return m.codes.label(code)
}
