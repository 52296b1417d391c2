package quotes_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/documents"
	"carfin/money"
	"carfin/payments"
	"carfin/payments/cardtest"
)

// TestPayoffQuoteScheduled: a payoff quote records the payments scheduled
// on the account by its good-through date (not those after it), and its
// letter says the payoff does not count them and what is left to pay once
// they are collected, in both languages, on one page.
func TestPayoffQuoteScheduled(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d) // Wednesday, 2026-11-25
		cut, err := calendar.ParseCutoff("17:00", "America/New_York")
		if err != nil {
			t.Fatal(err)
		}
		proc := cardtest.New("test-secret")
		proc.Now = d.Now
		pay, err := payments.New(d, f.sv, payments.Config{LenderName: "Northwind Motor Finance", Cutoff: cut, Keys: payments.DevKeyring(),
			Processor: proc, Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := proc.Tokenize(cardtest.Card{Number: "4242424242424242", ExpMonth: 12, ExpYear: 2029, CVC: "123"})
		if err != nil {
			t.Fatal(err)
		}
		card, err := pay.AddCard(ctx, f.cust, tok.Token, "", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pay.Pay(ctx, f.cust, payments.OneTime{ContractID: f.loan, MethodID: card.ID, Choice: payments.PayOther, Other: "400.00",
			Date: day("2026-12-01"), IdempotencyKey: "k1"}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name, through, lang string
			scheduled           money.Cents
			want, not           []string
		}{
			{"before the payment", "2026-11-30", "en", 0, nil, []string{"already scheduled"}},
			{"after it", "2026-12-04", "en", cents("400"),
				[]string{"Payments already scheduled on your account by December 4, 2026: $400.00. The payoff amount above does not count them.",
					"is left to pay", "Payments scheduled after December 4, 2026 are not collected once the account is paid off."}, nil},
			{"after it, Spanish", "2026-12-03", "es", cents("400"),
				[]string{"Pagos ya programados en su cuenta hasta el 3 de diciembre de 2026: $400.00.", "queda por pagar como máximo"}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				q, err := f.qs.Payoff(ctx, f.cust, f.loan, day(tc.through), tc.lang)
				if err != nil {
					t.Fatal(err)
				}
				if q.ScheduledCents != tc.scheduled || q.LeftCents() != q.TotalCents-tc.scheduled {
					t.Fatalf("quote %+v", q)
				}
				if got, err := f.qs.Get(ctx, f.cust, f.loan, q.Number); err != nil || got.ScheduledCents != tc.scheduled {
					t.Fatalf("stored %+v %v", got, err)
				}
				doc, err := documents.Get(ctx, d.Read, f.cust, q.DocumentID)
				if err != nil {
					t.Fatal(err)
				}
				if n, err := api.PageCount(bytes.NewReader(doc.Content), model.NewDefaultConfiguration()); err != nil || n != 1 {
					t.Errorf("the letter has %d pages (%v)", n, err)
				}
				flat := strings.Join(strings.Fields(pdfStrings(t, doc.Content)), " ")
				if tc.scheduled > 0 {
					tc.want = append(tc.want, q.LeftCents().Grouped("$", ",", "."))
				}
				for _, s := range tc.want {
					if !strings.Contains(flat, s) {
						t.Errorf("letter lacks %q:\n%s", s, flat)
					}
				}
				for _, s := range tc.not {
					if strings.Contains(flat, s) {
						t.Errorf("letter has %q", s)
					}
				}
			})
		}
	})
}
