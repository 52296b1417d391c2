// Package audit is carfin's append-only audit log. Every event is chained
// to the one before it: its hash is SHA-256 over the previous event's hash
// and the event's canonical form, so that changing, removing or inserting
// an event anywhere breaks every link after it, and Verify finds the first
// broken one. The tables also refuse UPDATE and DELETE (triggers), so a
// tamperer must bypass the database's own rules to try.
//
// Writers append inside their own transaction (Record), so an event exists
// exactly when the change it reports was committed.
package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"carfin/db"
)

// Event is one audited action.
type Event struct {
	// Actor is who acted: "login:ID", "staff:ID", "system" or "anonymous".
	Actor string
	// Action names what happened, dotted: "login.success", "password.change".
	Action string
	// Subject is what the action was about, e.g. "login:ID".
	Subject string
	// IP is the client address, when the action came over HTTP.
	IP string
	// Details holds extra facts; never secrets. Keys are sorted in the
	// canonical form.
	Details map[string]string
}

// Limits, named so they are easy to find.
const (
	fieldBytesMax   = 512
	detailsCountMax = 32
	verifyBatchSize = 1000
)

// genesisHash is the previous hash of the first event.
const genesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// Record appends ev to the log as part of tx, at tx.Now(): the event is
// chained when tx is about to commit (db.Tx.BeforeCommit), after the rest
// of its work, so a transaction that fails records nothing. Writers are
// serialised on the chain's head row, so the chain never forks; a
// database failure there rolls the whole transaction back.
func Record(ctx context.Context, tx *db.Tx, ev Event) error {
	ev = clip(ev)
	// Every audited transaction of every instance takes the chain's head:
	// appended at the end of the transaction, the head is locked for
	// these three statements and the commit, not for all the work before
	// (the soak measured a mean wait of 12 ms for it, with the lock taken
	// first and held across a sign-in's other writes).
	tx.BeforeCommit(func() error { return appendEvent(ctx, tx, ev) })
	return nil
}

// appendEvent links ev to the chain's head and moves the head to it.
func appendEvent(ctx context.Context, tx *db.Tx, ev Event) error {
	var seq int64
	var prev string
	if err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`+tx.DB().ForUpdate()).Scan(&seq, &prev); err != nil {
		return fmt.Errorf("audit %s: read head: %w", ev.Action, err)
	}
	seq++
	at := tx.Now().UTC().Truncate(time.Microsecond)
	details := canonicalDetails(ev.Details)
	h := linkHash(prev, seq, at, ev.Actor, ev.Action, ev.Subject, ev.IP, details)
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_events (seq, at, actor, action, subject, ip, details, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, seq, at, ev.Actor, ev.Action, ev.Subject, ev.IP, details, prev, h); err != nil {
		return fmt.Errorf("audit %s: insert: %w", ev.Action, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`, seq, h); err != nil {
		return fmt.Errorf("audit %s: move head: %w", ev.Action, err)
	}
	return nil
}

func clip(ev Event) Event {
	cut := func(s string) string {
		if len(s) <= fieldBytesMax {
			return s
		}
		// At a character boundary: half a UTF-8 sequence is not text.
		n := fieldBytesMax
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		return s[:n]
	}
	ev.Actor, ev.Action, ev.Subject, ev.IP = cut(ev.Actor), cut(ev.Action), cut(ev.Subject), cut(ev.IP)
	if len(ev.Details) > 0 {
		d := make(map[string]string, len(ev.Details))
		for _, k := range slices.Sorted(maps.Keys(ev.Details))[:min(len(ev.Details), detailsCountMax)] {
			d[cut(k)] = cut(ev.Details[k])
		}
		ev.Details = d
	}
	return ev
}

// canonicalDetails is the details as JSON with sorted keys (encoding/json
// sorts map keys), "{}" when empty.
func canonicalDetails(d map[string]string) string {
	if len(d) == 0 {
		return "{}"
	}
	b, err := json.Marshal(d)
	if err != nil {
		panic(fmt.Sprintf("audit: marshal map[string]string: %v", err)) // cannot happen
	}
	return string(b)
}

// linkHash is SHA-256 over the previous hash and the event's canonical
// form: each field length-prefixed, so no two events share a form.
func linkHash(prev string, seq int64, at time.Time, actor, action, subject, ip, details string) string {
	var b bytes.Buffer
	b.WriteString("carfin-audit-v1\n")
	for _, f := range []string{prev, strconv.FormatInt(seq, 10), at.UTC().Format(time.RFC3339Nano), actor, action, subject, ip, details} {
		b.WriteString(strconv.Itoa(len(f)))
		b.WriteByte(':')
		b.WriteString(f)
		b.WriteByte('\n')
	}
	sum := sha256.Sum256(b.Bytes())
	return hex.EncodeToString(sum[:])
}

// Finding is the result of Verify.
type Finding struct {
	// Checked is the number of events whose links were checked.
	Checked int64
	// BrokenSeq is the sequence number of the first event whose link does
	// not hold (0 when the chain is intact).
	BrokenSeq int64
	// Problem says in words what is wrong with that event, or with the head.
	Problem string
}

// OK reports whether the chain is intact.
func (f Finding) OK() bool { return f.Problem == "" }

func (f Finding) String() string {
	if f.OK() {
		return fmt.Sprintf("audit chain intact (%d events)", f.Checked)
	}
	return fmt.Sprintf("audit chain broken at event %d: %s", f.BrokenSeq, f.Problem)
}

// Verify walks the whole chain in order and reports the first broken link:
// a gap in the sequence, a previous hash that is not the hash of the event
// before, a hash that does not match the event's content, or a head row
// that does not point at the last event. It returns an error only if the
// database cannot be read.
func Verify(ctx context.Context, d *db.DB) (Finding, error) {
	var f Finding
	prev, last := genesisHash, int64(0)
	for {
		rows, err := d.Read.QueryContext(ctx, `SELECT seq, at, actor, action, subject, ip, details, prev_hash, hash
			FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2`, last, verifyBatchSize)
		if err != nil {
			return f, fmt.Errorf("verify audit chain after %d: %w", last, err)
		}
		n := 0
		for rows.Next() {
			var seq int64
			var at time.Time
			var actor, action, subject, ip, details, prevHash, hash string
			if err := rows.Scan(&seq, &at, &actor, &action, &subject, &ip, &details, &prevHash, &hash); err != nil {
				rows.Close()
				return f, fmt.Errorf("verify audit chain: scan after %d: %w", last, err)
			}
			n++
			switch {
			case seq != last+1:
				f.BrokenSeq, f.Problem = seq, fmt.Sprintf("sequence gap: expected event %d", last+1)
			case prevHash != prev:
				f.BrokenSeq, f.Problem = seq, "previous hash does not match the hash of the event before"
			case linkHash(prevHash, seq, at, actor, action, subject, ip, details) != hash:
				f.BrokenSeq, f.Problem = seq, "hash does not match the event's content"
			}
			if !f.OK() {
				rows.Close()
				return f, nil
			}
			f.Checked++
			prev, last = hash, seq
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return f, fmt.Errorf("verify audit chain after %d: %w", last, err)
		}
		if n < verifyBatchSize {
			break
		}
	}
	var headSeq int64
	var headHash string
	if err := d.Read.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&headSeq, &headHash); err != nil {
		return f, fmt.Errorf("verify audit chain: read head: %w", err)
	}
	if headSeq != last || headHash != prev {
		f.BrokenSeq, f.Problem = last+1, fmt.Sprintf("head points at event %d but the chain ends at event %d (events removed from the end?)", headSeq, last)
	}
	return f, nil
}

// Entry is an event as read back.
type Entry struct {
	Seq int64
	At  time.Time
	Event
}

// ForSubject returns the newest events about subject, newest first, at
// most limit.
func ForSubject(ctx context.Context, d *db.DB, subject string, limit int) ([]Entry, error) {
	rows, err := d.Read.QueryContext(ctx, `SELECT seq, at, actor, action, subject, ip, details FROM audit_events
		WHERE subject = $1 ORDER BY seq DESC LIMIT $2`, subject, limit)
	if err != nil {
		return nil, fmt.Errorf("audit events for %s: %w", subject, err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var details string
		if err := rows.Scan(&e.Seq, &e.At, &e.Actor, &e.Action, &e.Subject, &e.IP, &details); err != nil {
			return nil, fmt.Errorf("audit events for %s: %w", subject, err)
		}
		if err := json.Unmarshal([]byte(details), &e.Details); err != nil {
			return nil, fmt.Errorf("audit event %d details: %w", e.Seq, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
