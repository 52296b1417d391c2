package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"carfin/db"
)

// subjectsMax bounds the subjects ForSubjects reads at once.
const subjectsMax = 50

// ForSubjects returns the newest events about any of subjects or done by
// any of actors (a customer, their login, their contracts, and what the
// customer did themselves: the customer's audit tab), newest first, at
// most limit, and before the event seq before (0: the newest), for
// paging back.
func ForSubjects(ctx context.Context, d *db.DB, subjects, actors []string, before int64, limit int) ([]Entry, error) {
	if len(subjects)+len(actors) == 0 {
		return nil, nil
	}
	if len(subjects)+len(actors) > subjectsMax {
		return nil, fmt.Errorf("audit events: %d subjects and actors, at most %d", len(subjects)+len(actors), subjectsMax)
	}
	args := []any{limit, before}
	in := func(list []string) string {
		marks := make([]string, len(list))
		for i, s := range list {
			args = append(args, s)
			marks[i] = "$" + strconv.Itoa(len(args))
		}
		return strings.Join(marks, ", ")
	}
	// One indexed scan per column, each bounded, then merged.
	var parts []string
	if len(subjects) > 0 {
		parts = append(parts, `SELECT * FROM (SELECT seq, at, actor, action, subject, ip, details FROM audit_events
			WHERE subject IN (`+in(subjects)+`) AND ($2 = 0 OR seq < $2) ORDER BY seq DESC LIMIT $1) s`)
	}
	if len(actors) > 0 {
		parts = append(parts, `SELECT * FROM (SELECT seq, at, actor, action, subject, ip, details FROM audit_events
			WHERE actor IN (`+in(actors)+`) AND ($2 = 0 OR seq < $2) ORDER BY seq DESC LIMIT $1) a`)
	}
	rows, err := d.Read.QueryContext(ctx, `SELECT seq, at, actor, action, subject, ip, details FROM (`+strings.Join(parts, " UNION ")+`) u
		ORDER BY seq DESC LIMIT $1`, args...)
	if err != nil {
		return nil, fmt.Errorf("audit events: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var details string
		if err := rows.Scan(&e.Seq, &e.At, &e.Actor, &e.Action, &e.Subject, &e.IP, &details); err != nil {
			return nil, fmt.Errorf("audit events: %w", err)
		}
		if err := json.Unmarshal([]byte(details), &e.Details); err != nil {
			return nil, fmt.Errorf("audit event %d details: %w", e.Seq, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
