package servicing_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"carfin/db"
	"carfin/db/dbtest"
	"carfin/money"
	"carfin/servicing"
)

// TestPostPayments: a batch posts exactly what the same payments posted one
// by one post (twin books), reports refused payments one by one without
// writing them, and a rerun of the batch writes nothing.
func TestPostPayments(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dbx *db.DB) {
		ctx := context.Background()
		other := dbtest.SQLite(t)
		if dbx.Engine == db.Postgres {
			other = dbtest.Postgres(t)
		}
		batchSv, _ := newService(t, dbx, "2024-05-31")
		oneSv, _ := newService(t, other, "2024-05-31")
		var reqs []servicing.PaymentRequest
		for _, sv := range []*servicing.Service{batchSv, oneSv} {
			for i := range 6 {
				openLoan(t, sv, fmt.Sprint(10000+1000*i), "6.5", 48, "2024-01-02", "2024-02-02")
			}
		}
		// Contract 1 pays in April before the batch (so a March payment
		// in the batch is backdated); contract 6 is paid off.
		for _, sv := range []*servicing.Service{batchSv, oneSv} {
			if _, err := sv.PostPayment(ctx, req(1, "2024-04-02", "early"), c("300")); err != nil {
				t.Fatal(err)
			}
			q, _ := sv.QuotePayoff(ctx, 6, d("2024-03-01"))
			if _, err := sv.Payoff(ctx, req(6, "2024-03-01", "payoff6"), q.PayoffCents); err != nil {
				t.Fatal(err)
			}
		}
		for id := int64(1); id <= 5; id++ {
			for m, date := range []string{"2024-02-02", "2024-03-02", "2024-05-02"} {
				reqs = append(reqs, servicing.PaymentRequest{Request: req(id, date, fmt.Sprintf("auto-%d-%d", id, m)), AmountCents: c("250")})
			}
		}
		bad := []struct {
			r   servicing.PaymentRequest
			err error
		}{
			{servicing.PaymentRequest{Request: req(2, "2024-05-10", "over"), AmountCents: c("50000")}, servicing.ErrOverpayment},
			{servicing.PaymentRequest{Request: req(6, "2024-05-10", "closed"), AmountCents: c("10")}, servicing.ErrClosed},
			{servicing.PaymentRequest{Request: req(99, "2024-05-10", "unknown"), AmountCents: c("10")}, servicing.ErrNotFound},
			{servicing.PaymentRequest{Request: req(2, "2024-06-10", "future"), AmountCents: c("10")}, servicing.ErrFutureDate},
			{servicing.PaymentRequest{Request: req(2, "2024-05-10", "zero"), AmountCents: 0}, servicing.ErrAmount},
			{servicing.PaymentRequest{Request: req(2, "2024-05-10", "auto-2-0"), AmountCents: c("250")}, servicing.ErrIdempotencyConflict},
		}
		for _, b := range bad {
			reqs = append(reqs, b.r)
		}
		res, err := batchSv.PostPayments(ctx, reqs)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range res[:15] {
			if r.Err != nil || r.EventID == 0 {
				t.Errorf("payment %d: %+v", i, r)
			}
		}
		for i, b := range bad {
			if got := res[15+i].Err; !errors.Is(got, b.err) {
				t.Errorf("bad payment %d: err %v, want %v", i, got, b.err)
			}
		}
		for _, r := range reqs[:15] {
			if _, err := oneSv.PostPayment(ctx, r.Request, r.AmountCents); err != nil {
				t.Fatal(err)
			}
		}
		for id := int64(1); id <= 6; id++ {
			if a, b := balancesOf(t, dbx, id), balancesOf(t, other, id); a != b {
				t.Errorf("contract %d: batch %s, one by one %s", id, a, b)
			}
		}
		before := countRows(t, dbx)
		res, err = batchSv.PostPayments(ctx, reqs[:15])
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range res {
			if !r.Duplicate || r.Err != nil {
				t.Errorf("rerun %d: %+v", i, r)
			}
		}
		if countRows(t, dbx) != before {
			t.Errorf("rerun wrote %d rows", countRows(t, dbx)-before)
		}
		mustCheck(t, dbx)
		mustCheck(t, other)
		_ = money.Cents(0)
	})
}
