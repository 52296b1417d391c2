package metrics

import (
	"database/sql"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"carfin/db"
)

// The pool series are named alike for database/sql pools and the pgx
// pool, with a pool label, so one dashboard panel shows them all:
//
//	pool="write"  db.DB.SQL on SQLite: the single writer connection
//	pool="read"   db.DB.Read on SQLite: the read-only connections
//	pool="sql"    db.DB.SQL on PostgreSQL (Read is the same pool)
//	pool="pgx"    db.DB.PG on PostgreSQL: River's own
//
// A wait is a request for a connection that found none free; waits
// growing while in_use sits at max means the pool is the bottleneck.
var (
	poolConns = prometheus.NewDesc("carfin_db_connections",
		"Open database connections, by pool and state (in_use, idle).", []string{"pool", "state"}, nil)
	poolMax = prometheus.NewDesc("carfin_db_connections_max",
		"The most connections the pool may open (0: no limit).", []string{"pool"}, nil)
	poolWaits = prometheus.NewDesc("carfin_db_waits_total",
		"Requests for a connection that had to wait for one, by pool.", []string{"pool"}, nil)
	poolWaitSeconds = prometheus.NewDesc("carfin_db_wait_seconds_total",
		"Time spent waiting for a connection, by pool.", []string{"pool"}, nil)
)

// pools is one collector over the pools of a db.DB (one, since a
// registry takes each series' description from one collector only).
type pools struct {
	sql []sqlPool
	pgx *pgxpool.Pool
}

func newPools(d *db.DB) pools {
	if d.Engine == db.Postgres {
		return pools{sql: []sqlPool{{"sql", d.SQL}}, pgx: d.PG}
	}
	ps := pools{sql: []sqlPool{{"write", d.SQL}}}
	if d.Read != nil && d.Read != d.SQL {
		ps.sql = append(ps.sql, sqlPool{"read", d.Read})
	}
	return ps
}

func (ps pools) Describe(ch chan<- *prometheus.Desc) {
	ch <- poolConns
	ch <- poolMax
	ch <- poolWaits
	ch <- poolWaitSeconds
}

func (ps pools) Collect(ch chan<- prometheus.Metric) {
	for _, p := range ps.sql {
		p.collect(ch)
	}
	if ps.pgx != nil {
		collectPgx(ps.pgx, ch)
	}
}

// sqlPool reports a database/sql pool's sql.DBStats.
type sqlPool struct {
	name string
	db   *sql.DB
}

func (p sqlPool) collect(ch chan<- prometheus.Metric) {
	s := p.db.Stats()
	ch <- prometheus.MustNewConstMetric(poolConns, prometheus.GaugeValue, float64(s.InUse), p.name, "in_use")
	ch <- prometheus.MustNewConstMetric(poolConns, prometheus.GaugeValue, float64(s.Idle), p.name, "idle")
	ch <- prometheus.MustNewConstMetric(poolMax, prometheus.GaugeValue, float64(s.MaxOpenConnections), p.name)
	ch <- prometheus.MustNewConstMetric(poolWaits, prometheus.CounterValue, float64(s.WaitCount), p.name)
	ch <- prometheus.MustNewConstMetric(poolWaitSeconds, prometheus.CounterValue, s.WaitDuration.Seconds(), p.name)
}

// collectPgx reports the native pgx pool's pgxpool.Stat: an "empty
// acquire" is pgx's wait.
func collectPgx(p *pgxpool.Pool, ch chan<- prometheus.Metric) {
	s := p.Stat()
	ch <- prometheus.MustNewConstMetric(poolConns, prometheus.GaugeValue, float64(s.AcquiredConns()), "pgx", "in_use")
	ch <- prometheus.MustNewConstMetric(poolConns, prometheus.GaugeValue, float64(s.IdleConns()), "pgx", "idle")
	ch <- prometheus.MustNewConstMetric(poolMax, prometheus.GaugeValue, float64(s.MaxConns()), "pgx")
	ch <- prometheus.MustNewConstMetric(poolWaits, prometheus.CounterValue, float64(s.EmptyAcquireCount()), "pgx")
	ch <- prometheus.MustNewConstMetric(poolWaitSeconds, prometheus.CounterValue, s.EmptyAcquireWaitTime().Seconds(), "pgx")
}
