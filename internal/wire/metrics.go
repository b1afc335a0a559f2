package wire

import (
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// dbCollectors are the database's series of /metrics: the statements run
// (primary and replicas together), the primary's connection pool, and,
// with replicas, their state and the consistency wait.
func dbCollectors(store *db.Store, replicas *db.ReplicaSet) []prometheus.Collector {
	statements := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "auditgraph_sql_statements_total", Help: "SQL statements run.",
	}, func() float64 {
		n := store.Statements()
		if replicas != nil {
			n += replicas.Statements()
		}
		return float64(n)
	})
	cs := []prometheus.Collector{statements, collectors.NewDBStatsCollector(store.Pool(), "auditgraph")}
	if replicas == nil {
		return cs
	}
	// The consistency wait: how long reads presenting a token waited for a
	// replica.
	wait := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "auditgraph_replica_consistency_wait_seconds",
		Help:    "How long a read presenting a consistency token waited for a replica to replay up to it (0: one had).",
		Buckets: []float64{0, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
	})
	replicas.ObserveWaits(func(d time.Duration) { wait.Observe(d.Seconds()) })
	return append(cs, newReplicaCollector(replicas), wait)
}

// replicaCollector reports each read replica's state at scrape time.
type replicaCollector struct {
	rs                       *db.ReplicaSet
	up, lag, lagBytes, reads *prometheus.Desc
	fallbacks                *prometheus.Desc
}

func newReplicaCollector(rs *db.ReplicaSet) *replicaCollector {
	return &replicaCollector{
		rs: rs,
		up: prometheus.NewDesc("auditgraph_replica_in_rotation",
			"1 while the read replica takes reads, 0 while it is out (down, not a standby, or lagging beyond the bound).", []string{"replica"}, nil),
		lag: prometheus.NewDesc("auditgraph_replica_lag_seconds",
			"How long ago the primary wrote the oldest WAL the replica has not replayed, at the last check.", []string{"replica"}, nil),
		lagBytes: prometheus.NewDesc("auditgraph_replica_lag_bytes",
			"WAL bytes the replica is behind the primary, at the last check.", []string{"replica"}, nil),
		reads: prometheus.NewDesc("auditgraph_replica_reads_total",
			"Read statements served by replicas.", nil, nil),
		fallbacks: prometheus.NewDesc("auditgraph_replica_fallbacks_total",
			"Read statements sent to the primary although replicas are configured, by reason.", []string{"reason"}, nil),
	}
}

func (c *replicaCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.up, c.lag, c.lagBytes, c.reads, c.fallbacks} {
		ch <- d
	}
}

func (c *replicaCollector) Collect(ch chan<- prometheus.Metric) {
	for _, st := range c.rs.Status() {
		up := 0.0
		if st.InRotation {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, up, st.Name)
		ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, st.Lag.Seconds(), st.Name)
		ch <- prometheus.MustNewConstMetric(c.lagBytes, prometheus.GaugeValue, float64(st.LagBytes), st.Name)
	}
	replicas, fallbacks := c.rs.Reads()
	ch <- prometheus.MustNewConstMetric(c.reads, prometheus.CounterValue, float64(replicas))
	for reason, n := range fallbacks {
		ch <- prometheus.MustNewConstMetric(c.fallbacks, prometheus.CounterValue, float64(n), reason)
	}
}
