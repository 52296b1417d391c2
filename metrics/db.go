package metrics

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"carfin/calendar"
	"carfin/db"
)

// dbCollector reads figures from carfin's tables when scraped, so they
// are the database's, not one process's: two instances report the same
// values (aggregate them with max, never sum). Each query is bounded and
// served by an index (named beside it), all of them together by
// refreshTimeout, and their results are kept for cacheTTL, so scrapers
// of several instances every few seconds cost the database a handful of
// index reads.
//
// Counters of events (sign-in failures, payments posted, returns) are
// counted from where a scrape first found the table's newest row: each
// refresh counts the rows between the key it stopped at and the newest
// key the previous refresh saw (one refresh behind, so that a
// transaction still writing a lower id is not skipped), at most
// cursorSpanMax rows at a time. They start at zero when the process does,
// as Prometheus counters do.
type dbCollector struct {
	d   *db.DB
	ttl time.Duration // cacheTTL; tests read afresh with 0

	mu   sync.Mutex
	at   time.Time           // when snap was read
	snap []prometheus.Metric // the gauges last read

	signIn   map[string]*cursor // audit_events by action
	posted   cursor             // servicing_events of kind payment
	failed   cursor             // payments declined or failed
	returned cursor             // ach_returns of kind return

	postedCents float64
	failures    map[[2]string]float64 // status, rail
	returns     map[string]float64    // return code
	signInCount map[string]float64    // action

	errors *prometheus.CounterVec
}

const (
	// cacheTTL is how long a refresh's results are served.
	cacheTTL = 5 * time.Second
	// refreshTimeout bounds the queries of one refresh together.
	refreshTimeout = 3 * time.Second
	// cursorSpanMax bounds the rows one event counter reads per refresh;
	// a burst beyond it is counted over the next refreshes.
	cursorSpanMax = 100_000
)

var (
	riverJobs = prometheus.NewDesc("carfin_river_jobs",
		"River jobs in the database by state (available, scheduled, pending, running, retryable, discarded) and kind. Completed and cancelled jobs are not counted.",
		[]string{"state", "kind"}, nil)
	outboxUnsent = prometheus.NewDesc("carfin_outbox_unsent",
		"Outbox messages neither sent nor given up on, by channel (email, sms): the delivery backlog.",
		[]string{"channel"}, nil)
	outboxOldestDue = prometheus.NewDesc("carfin_outbox_oldest_due_seconds",
		"How long the most overdue unsent outbox message has been due (0: none due).", nil, nil)
	loginsLocked = prometheus.NewDesc("carfin_logins_locked",
		"Logins locked now after repeated failed sign-ins, by realm (customer, staff).", []string{"realm"}, nil)
	signInFailures = prometheus.NewDesc("carfin_signin_failures_total",
		"Failed sign-in attempts (audit login.failure), database-wide, since this process started counting.", nil, nil)
	signInLocks = prometheus.NewDesc("carfin_signin_locks_total",
		"Logins locked by failed sign-ins (audit login.locked), database-wide, since this process started counting.", nil, nil)
	paymentsPosted = prometheus.NewDesc("carfin_payments_posted_total",
		"Payments posted to contracts (servicing events of kind payment), database-wide, since this process started counting.", nil, nil)
	paymentsPostedCents = prometheus.NewDesc("carfin_payments_posted_cents_total",
		"Amount of the payments posted, in cents.", nil, nil)
	paymentsFailed = prometheus.NewDesc("carfin_payments_failed_total",
		"Payments made declined or failed, by status and rail (ach, card), as they stood one refresh after they were made; returns are counted apart.",
		[]string{"status", "rail"}, nil)
	paymentReturns = prometheus.NewDesc("carfin_payment_returns_total",
		"ACH returns imported, by return code (R01 insufficient funds, R02 account closed, …), payments' and account validations'.",
		[]string{"code"}, nil)
	dayCloseBusinessDate = prometheus.NewDesc("carfin_day_close_last_business_date_seconds",
		"The latest business date day close has closed contracts for, as a Unix time (its midnight UTC).", nil, nil)
	dayCloseFinished = prometheus.NewDesc("carfin_day_close_last_finished_seconds",
		"When day close last finished a chunk of contracts, as a Unix time.", nil, nil)
	dayCloseDuration = prometheus.NewDesc("carfin_day_close_duration_seconds",
		"The latest business date's day close: from its first chunk's end to its last one's (so far, while it runs).", nil, nil)
	dayCloseContracts = prometheus.NewDesc("carfin_day_close_contracts",
		"Contracts closed for the latest business date.", nil, nil)
)

func newDBCollector(d *db.DB) *dbCollector {
	return &dbCollector{
		d:   d,
		ttl: cacheTTL,
		signIn: map[string]*cursor{
			"login.failure": {}, "login.locked": {},
		},
		failures:    map[[2]string]float64{},
		returns:     map[string]float64{},
		signInCount: map[string]float64{},
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "carfin_metrics_query_errors_total",
			Help: "Scrape-time database queries that failed or timed out, by query; their figures are left out of that scrape.",
		}, []string{"query"}),
	}
}

func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{riverJobs, outboxUnsent, outboxOldestDue, loginsLocked, signInFailures, signInLocks,
		paymentsPosted, paymentsPostedCents, paymentsFailed, paymentReturns,
		dayCloseBusinessDate, dayCloseFinished, dayCloseDuration, dayCloseContracts} {
		ch <- d
	}
	c.errors.Describe(ch)
}

func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.snap == nil || time.Since(c.at) >= c.ttl {
		ctx, cancel := context.WithTimeout(context.Background(), refreshTimeout)
		c.refresh(ctx)
		cancel()
		c.at = time.Now()
	}
	for _, m := range c.snap {
		ch <- m
	}
	ch <- prometheus.MustNewConstMetric(signInFailures, prometheus.CounterValue, c.signInCount["login.failure"])
	ch <- prometheus.MustNewConstMetric(signInLocks, prometheus.CounterValue, c.signInCount["login.locked"])
	ch <- prometheus.MustNewConstMetric(paymentsPosted, prometheus.CounterValue, c.posted.count)
	ch <- prometheus.MustNewConstMetric(paymentsPostedCents, prometheus.CounterValue, c.postedCents)
	for k, v := range c.failures {
		ch <- prometheus.MustNewConstMetric(paymentsFailed, prometheus.CounterValue, v, k[0], k[1])
	}
	for code, v := range c.returns {
		ch <- prometheus.MustNewConstMetric(paymentReturns, prometheus.CounterValue, v, code)
	}
	c.errors.Collect(ch)
}

// refresh runs every query; one that fails is counted in errors and its
// gauges are left out of the snapshot, the others still served.
func (c *dbCollector) refresh(ctx context.Context) {
	c.snap = c.snap[:0:0]
	for _, q := range []struct {
		name string
		run  func(context.Context) error
	}{
		{"river", c.readRiver},
		{"outbox", c.readOutbox},
		{"logins_locked", c.readLocked},
		{"day_close", c.readDayClose},
		{"signin", c.readSignIns},
		{"payments_posted", c.readPosted},
		{"payments_failed", c.readFailed},
		{"returns", c.readReturns},
	} {
		if err := q.run(ctx); err != nil {
			c.errors.WithLabelValues(q.name).Inc()
		}
	}
}

func (c *dbCollector) gauge(d *prometheus.Desc, v float64, labels ...string) {
	c.snap = append(c.snap, prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...))
}

// readRiver counts the River jobs not completed, by state and kind.
// Index: River's river_job_prioritized_fetching_index (state, queue,
// priority, scheduled_at, id) on both engines; completed jobs, the many,
// are not read, and River's cleaner deletes discarded ones after a week.
// Without the jobs (no river_job table) there is nothing to report.
func (c *dbCollector) readRiver(ctx context.Context) error {
	rows, err := c.d.Read.QueryContext(ctx, `SELECT state, kind, COUNT(*) FROM river_job
		WHERE state IN ('available', 'scheduled', 'pending', 'running', 'retryable', 'discarded') GROUP BY state, kind`)
	if err != nil {
		if missingTable(err) {
			return nil
		}
		return fmt.Errorf("river jobs: %w", err)
	}
	return c.scanGauges(rows, riverJobs, 2)
}

// missingTable reports whether err says a table does not exist, on either
// engine.
func missingTable(err error) bool {
	s := err.Error()
	return strings.Contains(s, "no such table") || strings.Contains(s, "does not exist")
}

// readOutbox counts the unsent messages by channel and how overdue the
// earliest is. Index: outbox_due (next_attempt_at) WHERE unsent.
func (c *dbCollector) readOutbox(ctx context.Context) error {
	rows, err := c.d.Read.QueryContext(ctx, `SELECT channel, COUNT(*) FROM outbox
		WHERE sent_at IS NULL AND failed_at IS NULL GROUP BY channel`)
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	if err := c.scanGauges(rows, outboxUnsent, 1); err != nil {
		return err
	}
	var due time.Time
	err = c.d.Read.QueryRowContext(ctx, `SELECT next_attempt_at FROM outbox
		WHERE sent_at IS NULL AND failed_at IS NULL ORDER BY next_attempt_at LIMIT 1`).Scan(&due)
	overdue := 0.0
	switch {
	case err == sql.ErrNoRows:
	case err != nil:
		return fmt.Errorf("outbox due: %w", err)
	default:
		overdue = max(0, c.d.Now().Sub(due).Seconds())
	}
	c.gauge(outboxOldestDue, overdue)
	return nil
}

// readLocked counts the logins locked now. Index: logins_locked
// (locked_until): only the locked rows are read.
func (c *dbCollector) readLocked(ctx context.Context) error {
	rows, err := c.d.Read.QueryContext(ctx, `SELECT realm, COUNT(*) FROM logins WHERE locked_until > $1 GROUP BY realm`, c.d.Now())
	if err != nil {
		return fmt.Errorf("logins locked: %w", err)
	}
	return c.scanGauges(rows, loginsLocked, 1)
}

// readDayClose reads the latest business date closed, when its last chunk
// finished and how long its chunks took. Index: day_close_chunks' primary
// key (business_date, first_id): the latest date's chunks only (one per
// few thousand contracts).
func (c *dbCollector) readDayClose(ctx context.Context) error {
	var date calendar.Date
	if err := c.d.Read.QueryRowContext(ctx, `SELECT MAX(business_date) FROM day_close_chunks`).Scan(&date); err != nil {
		return fmt.Errorf("day close date: %w", err)
	}
	if date == 0 {
		return nil // never run
	}
	var first, last time.Time
	var contracts int64
	if err := c.d.Read.QueryRowContext(ctx, `SELECT finished_at FROM day_close_chunks WHERE business_date = $1 ORDER BY finished_at LIMIT 1`, date).Scan(&first); err != nil {
		return fmt.Errorf("day close first chunk: %w", err)
	}
	if err := c.d.Read.QueryRowContext(ctx, `SELECT finished_at FROM day_close_chunks WHERE business_date = $1 ORDER BY finished_at DESC LIMIT 1`, date).Scan(&last); err != nil {
		return fmt.Errorf("day close last chunk: %w", err)
	}
	if err := c.d.Read.QueryRowContext(ctx, `SELECT COALESCE(SUM(contracts), 0) FROM day_close_chunks WHERE business_date = $1`, date).Scan(&contracts); err != nil {
		return fmt.Errorf("day close contracts: %w", err)
	}
	c.gauge(dayCloseBusinessDate, float64(date.Time().Unix()))
	c.gauge(dayCloseFinished, float64(last.Unix()))
	c.gauge(dayCloseDuration, last.Sub(first).Seconds())
	c.gauge(dayCloseContracts, float64(contracts))
	return nil
}

// readSignIns counts the failed sign-ins and the locks since the cursor.
// Index: audit_events' primary key (seq); audit writers serialise on
// audit_head, so seq is also commit order.
func (c *dbCollector) readSignIns(ctx context.Context) error {
	cur := c.signIn["login.failure"] // one cursor serves both actions
	lo, hi, ok, err := cur.advance(ctx, c.d.Read, `SELECT COALESCE(MAX(seq), 0) FROM audit_events`)
	if err != nil || !ok {
		return err
	}
	rows, err := c.d.Read.QueryContext(ctx, `SELECT action, COUNT(*) FROM audit_events
		WHERE seq > $1 AND seq <= $2 AND action IN ('login.failure', 'login.locked') GROUP BY action`, lo, hi)
	if err != nil {
		cur.undo(lo)
		return fmt.Errorf("sign-ins: %w", err)
	}
	return scanCounts(rows, func(k []string, n float64) { c.signInCount[k[0]] += n }, 1)
}

// readPosted counts the payments posted since the cursor and their
// amount. Index: servicing_events' primary key (id).
func (c *dbCollector) readPosted(ctx context.Context) error {
	lo, hi, ok, err := c.posted.advance(ctx, c.d.Read, `SELECT COALESCE(MAX(id), 0) FROM servicing_events`)
	if err != nil || !ok {
		return err
	}
	var n, cents int64
	if err := c.d.Read.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(amount_cents), 0) FROM servicing_events
		WHERE id > $1 AND id <= $2 AND kind = 'payment'`, lo, hi).Scan(&n, &cents); err != nil {
		c.posted.undo(lo)
		return fmt.Errorf("payments posted: %w", err)
	}
	c.posted.count += float64(n)
	c.postedCents += float64(cents)
	return nil
}

// readFailed counts the payments made since the cursor that were declined
// or failed when counted. Index: payments' primary key (id). A payment
// that fails later (an autopay debit whose account was closed on its
// date) is not counted here; an ACH debit returned by the bank is, in
// carfin_payment_returns_total.
func (c *dbCollector) readFailed(ctx context.Context) error {
	lo, hi, ok, err := c.failed.advance(ctx, c.d.Read, `SELECT COALESCE(MAX(id), 0) FROM payments`)
	if err != nil || !ok {
		return err
	}
	rows, err := c.d.Read.QueryContext(ctx, `SELECT status, rail, COUNT(*) FROM payments
		WHERE id > $1 AND id <= $2 AND status IN ('declined', 'failed') GROUP BY status, rail`, lo, hi)
	if err != nil {
		c.failed.undo(lo)
		return fmt.Errorf("payments failed: %w", err)
	}
	return scanCounts(rows, func(k []string, n float64) { c.failures[[2]string{k[0], k[1]}] += n }, 2)
}

// returnCode is the form of a NACHA return code; others are counted as
// "other", so that a malformed file cannot add series.
var returnCode = regexp.MustCompile(`^R[0-9A-Z]{2}$`)

// readReturns counts the returns imported since the cursor, by code.
// Index: ach_returns' primary key (id).
func (c *dbCollector) readReturns(ctx context.Context) error {
	lo, hi, ok, err := c.returned.advance(ctx, c.d.Read, `SELECT COALESCE(MAX(id), 0) FROM ach_returns`)
	if err != nil || !ok {
		return err
	}
	rows, err := c.d.Read.QueryContext(ctx, `SELECT code, COUNT(*) FROM ach_returns
		WHERE id > $1 AND id <= $2 AND kind = 'return' GROUP BY code`, lo, hi)
	if err != nil {
		c.returned.undo(lo)
		return fmt.Errorf("returns: %w", err)
	}
	return scanCounts(rows, func(k []string, n float64) {
		code := k[0]
		if !returnCode.MatchString(code) {
			code = "other"
		}
		c.returns[code] += n
	}, 1)
}

// scanGauges adds a gauge per row of labels and a count.
func (c *dbCollector) scanGauges(rows *sql.Rows, d *prometheus.Desc, labels int) error {
	var out []prometheus.Metric
	err := scanCounts(rows, func(k []string, n float64) {
		out = append(out, prometheus.MustNewConstMetric(d, prometheus.GaugeValue, n, k...))
	}, labels)
	if err == nil {
		c.snap = append(c.snap, out...)
	}
	return err
}

// scanCounts reads rows of labels then a count, and closes them.
func scanCounts(rows *sql.Rows, add func(labels []string, n float64), labels int) error {
	defer rows.Close()
	for rows.Next() {
		k := make([]string, labels)
		var n int64
		dest := make([]any, 0, labels+1)
		for i := range k {
			dest = append(dest, &k[i])
		}
		if err := rows.Scan(append(dest, &n)...); err != nil {
			return err
		}
		add(k, float64(n))
	}
	return rows.Err()
}

// cursor is where an event counter has counted to in a table's
// increasing key.
type cursor struct {
	started bool
	at      int64   // counted through this key
	seen    int64   // the newest key the previous refresh saw
	count   float64 // for counters of one series
}

// advance reads the newest key (maxSQL) and returns the range (lo, hi] to
// count now; ok is false on the first call, which only sets the start.
// The cursor moves to hi; undo(lo) moves it back when counting fails.
func (c *cursor) advance(ctx context.Context, q *sql.DB, maxSQL string) (lo, hi int64, ok bool, err error) {
	var newest int64
	if err := q.QueryRowContext(ctx, maxSQL).Scan(&newest); err != nil {
		return 0, 0, false, fmt.Errorf("newest key: %w", err)
	}
	if !c.started {
		c.started, c.at, c.seen = true, newest, newest
		return 0, 0, false, nil
	}
	lo, hi = c.at, min(c.seen, c.at+cursorSpanMax)
	c.at, c.seen = hi, newest
	return lo, hi, hi > lo, nil
}

func (c *cursor) undo(lo int64) { c.at = lo }
