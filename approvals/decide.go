package approvals

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"carfin/audit"
	"carfin/db"
	"carfin/servicing"
)

// Approve approves request id and posts it, in one transaction: the
// request leaves 'pending' under a guarded UPDATE and the posting carries
// the idempotency key "approval:<id>", so approving twice, or two
// approvers at once, posts once. by must be a supervisor or admin whose
// limit covers the amount (ErrForbidden, ErrLimit) and not the requester
// (ErrSelfApproval). It returns ErrNotFound, ErrNotPending (decided or
// marked expired already), ErrExpired (older than Lifetime: the request
// is marked expired and nothing posts), ErrInvalid for a bad note, or the
// servicing or payments error that refused the posting (the contract
// changed since the request: nothing is written).
func (s *Service) Approve(ctx context.Context, by Staff, id int64, note string) (Request, error) {
	return s.decide(ctx, by, id, note, StatusApproved)
}

// Reject rejects request id; nothing posts. The rules of who may decide
// are Approve's (a rejection is a decision of the checker too), except
// that the amount limits do not apply: a supervisor may reject a request
// only an admin could approve.
func (s *Service) Reject(ctx context.Context, by Staff, id int64, note string) (Request, error) {
	return s.decide(ctx, by, id, note, StatusRejected)
}

func (s *Service) decide(ctx context.Context, by Staff, id int64, note string, to Status) (Request, error) {
	note = strings.TrimSpace(note)
	if utf8.RuneCountInString(note) > reasonLenMax || !utf8.ValidString(note) {
		return Request{}, fmt.Errorf("the note must be at most %d characters: %w", reasonLenMax, ErrInvalid)
	}
	if by.LoginID == "" {
		return Request{}, fmt.Errorf("staff login id: %w", ErrInvalid)
	}
	var r Request
	expired := false
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		expired = false
		var err error
		r, err = scanRequest(tx.QueryRowContext(ctx, `SELECT `+requestColumns+` FROM approval_requests WHERE id = $1`+tx.DB().ForUpdate(), id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("request %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if r.Status != StatusPending {
			return fmt.Errorf("request %d is %s: %w", id, r.Status, ErrNotPending)
		}
		if by.LoginID == r.RequestedBy {
			return fmt.Errorf("request %d: %w", id, ErrSelfApproval)
		}
		// Rejecting posts nothing, so any approver of the kind may reject,
		// whatever the amount; approving needs a limit that covers it.
		amount := r.AmountCents
		if to == StatusRejected {
			amount = 0
		}
		if err := mayApprove(by.Role, r.Kind, amount); err != nil {
			return err
		}
		now := tx.Now()
		if !now.Before(r.ExpiresAt) {
			expired = true
			_, err := s.expire(ctx, tx, r)
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE approval_requests SET status = $1, decided_by = $2, decided_at = $3, note = $4
			WHERE id = $5 AND status = 'pending' AND expires_at > $3`, string(to), by.LoginID, now, note, id)
		if err != nil {
			return fmt.Errorf("decide request %d: %w", id, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("request %d: %w", id, ErrNotPending)
		}
		r.Status, r.DecidedBy, r.DecidedAt, r.Note = to, by.LoginID, now, note
		action := "approval.reject"
		if to == StatusApproved {
			action = "approval.approve"
			if r.PostedEventID, err = s.post(ctx, tx, by, r); err != nil {
				return fmt.Errorf("post request %d: %w", id, err)
			}
			if r.PostedEventID != 0 {
				if _, err := tx.ExecContext(ctx, `UPDATE approval_requests SET posted_event_id = $1 WHERE id = $2`, r.PostedEventID, id); err != nil {
					return err
				}
			}
		}
		return audit.Record(ctx, tx, audit.Event{Actor: by.actor(), Action: action, Subject: subject(r.ContractID),
			Details: r.details("role", by.Role, "requested_by", r.RequestedBy, "note", note, "posted_event", strconv.FormatInt(r.PostedEventID, 10))})
	})
	if err != nil {
		return Request{}, err
	}
	if expired {
		return r, fmt.Errorf("request %d: %w", id, ErrExpired)
	}
	return r, nil
}

// post carries out an approved request in tx and returns the servicing
// event it recorded (0 if none: a dismissed review, or an upheld one whose
// payment was reversed already).
func (s *Service) post(ctx context.Context, tx *db.Tx, by Staff, r Request) (int64, error) {
	key := "approval:" + strconv.FormatInt(r.ID, 10)
	memo := strings.ToValidUTF8(clip(string(r.Kind)+" approved by "+by.actor()+": "+r.Reason, reasonLenMax), "")
	sr := servicing.Request{ContractID: r.ContractID, Date: s.today(tx.Now()), IdempotencyKey: key, Actor: by.actor(), Memo: memo}
	var res servicing.Result
	var err error
	switch r.Kind {
	case FeeWaiver:
		res, err = s.sv.WaiveFeeTx(ctx, tx, sr, r.AmountCents)
	case BalanceAdjustment:
		res, err = s.sv.AdjustTx(ctx, tx, sr, r.AmountCents)
	case PaymentReversal:
		res, err = s.sv.ReverseTx(ctx, tx, sr, r.EventID)
	case ReturnReview:
		if s.pay == nil {
			return 0, fmt.Errorf("return reviews are not configured: %w", ErrInvalid)
		}
		return s.pay.ResolveReturnTx(ctx, tx, r.ReturnID, r.Decision == Uphold, key, by.actor(), r.Reason)
	default:
		panic("approvals: stored request of unknown kind " + string(r.Kind))
	}
	if err != nil {
		return 0, err
	}
	if res.Duplicate {
		// The key is the request's own and the status moved once: a second
		// posting under it is a broken invariant.
		panic(fmt.Sprintf("approvals: request %d posted twice", r.ID))
	}
	return res.EventID, nil
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// expire marks r expired (by the database clock) and audits it, and
// reports whether it did: false if another transaction decided or expired
// it first.
func (s *Service) expire(ctx context.Context, tx *db.Tx, r Request) (bool, error) {
	now := tx.Now()
	res, err := tx.ExecContext(ctx, `UPDATE approval_requests SET status = 'expired', decided_at = $1 WHERE id = $2 AND status = 'pending' AND expires_at <= $1`,
		now, r.ID)
	if err != nil {
		return false, fmt.Errorf("expire request %d: %w", r.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return false, err
	}
	return true, audit.Record(ctx, tx, audit.Event{Actor: "system", Action: "approval.expire", Subject: subject(r.ContractID),
		Details: r.details("requested_by", r.RequestedBy)})
}

// ExpireStale marks the pending requests older than Lifetime expired, up
// to expireBatchMax per call, audited as "system", and returns how many it
// marked. A request another transaction decided or expired meanwhile is
// left as it is.
func (s *Service) ExpireStale(ctx context.Context) (int, error) {
	n := 0
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		n, err = s.expireSelected(ctx, tx, `SELECT `+requestColumns+` FROM approval_requests WHERE status = 'pending' AND expires_at <= $1
			ORDER BY id LIMIT `+strconv.Itoa(expireBatchMax)+tx.DB().ForUpdate(), tx.Now())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("expire stale requests: %w", err)
	}
	return n, nil
}

// expireSelected marks expired (see expire) the requests query selects
// (requestColumns) and returns how many it marked.
func (s *Service) expireSelected(ctx context.Context, tx *db.Tx, query string, args ...any) (int, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	var stale []Request
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			rows.Close()
			return 0, err
		}
		stale = append(stale, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, r := range stale {
		marked, err := s.expire(ctx, tx, r)
		if err != nil {
			return 0, err
		}
		if marked {
			n++
		}
	}
	return n, nil
}
