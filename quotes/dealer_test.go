package quotes_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"carfin/db"
	"carfin/db/dbtest"
	"carfin/identity"
	"carfin/internal/pdftest"
	"carfin/postal"
	"carfin/quotes"
	"carfin/servicing"
)

var testDealer = quotes.Dealer{Name: "Lakeside Toyota", AddressLine1: "2200 Lake Shore Blvd", AddressLine2: "Ste 4",
	City: "Cleveland", State: "oh", ZIP: "44114-1234", Contact: "Dana Ruiz, Title Clerk", Phone: "(216) 555-0142",
	Fax: "216-555-0143", Email: "titles@lakeside.example"}

// staffLogins makes a staff login and a customer login for the fixture's customer.
func staffLogins(t *testing.T, d *db.DB, customerID int64) (staff, customer int64) {
	t.Helper()
	ctx := context.Background()
	id, err := identity.New(identity.Config{DB: d, Params: identity.Params{MemoryKiB: 64, Time: 1, Threads: 1}, BaseURL: "https://portal.example"})
	if err != nil {
		t.Fatal(err)
	}
	if staff, err = id.CreateStaff(ctx, "agent@northwind.example", "Riley Agent", "a long staff password for tests"); err != nil {
		t.Fatal(err)
	}
	if customer, err = id.CreateCustomerLogin(ctx, customerID, "a long customer pass phrase"); err != nil {
		t.Fatal(err)
	}
	return staff, customer
}

func countRows(t *testing.T, d *db.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.Read.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// TestDealerPayoffLetter: a staff member issues a payoff letter to a
// dealer: the customer's figures, addressed to the dealer, with the per
// diem, the lender's instructions and the lien release on good funds,
// stored and audited as the staff member; the same request again is the
// same letter; the customer's quotes and documents do not change.
func TestDealerPayoffLetter(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		agent, _ := staffLogins(t, d, f.cust)
		own, err := f.qs.Payoff(ctx, f.cust, f.loan, day("2026-12-01"), "en")
		if err != nil {
			t.Fatal(err)
		}
		docs := countRows(t, d, `SELECT count(*) FROM documents`)

		q, pdf, err := f.qs.DealerPayoffLetter(ctx, agent, f.loan, testDealer, day("2026-12-01"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(q.Number, "DQ-") || q.TotalCents != own.TotalCents || q.PerDiemCents != own.PerDiemCents || q.PerDiemCents <= 0 ||
			q.CustomerID != f.cust || q.StaffLoginID != agent || q.Dealer.State != "OH" || q.DocumentID != 0 || len(q.PDFSHA256) != 64 {
			t.Fatalf("dealer quote %+v", q)
		}
		if out := os.Getenv("DEALER_LETTER_OUT"); out != "" {
			_ = os.WriteFile(strings.TrimSuffix(out, ".pdf")+"-"+d.Engine.String()+".pdf", pdf, 0o600)
		}
		text := pdftest.Text(t, pdf)
		if text != "" {
			for _, want := range []string{"Northwind Motor Finance", "Payoff letter", q.Number, "Lakeside Toyota", "Attn: Dana Ruiz, Title Clerk",
				"2200 Lake Shore Blvd", "Cleveland, OH 44114-1234", "Phone (216) 555-0142", "Fax 216-555-0143", "titles@lakeside.example",
				"Inés Muñoz", "NW-Q00001", "Dear Dana Ruiz, Title Clerk,", "Payoff amount good through December 1, 2026",
				"Total payoff amount", own.TotalCents.Dollars(), "add " + q.PerDiemCents.Dollars() + " for each additional day",
				"ABA routing: 021000021", "PO Box 4400", "Put the quote number " + q.Number + " and the account number NW-Q00001 on the payment.",
				"release our lien", "good funds", "Prepared by Riley Agent"} {
				if !strings.Contains(text, want) {
					t.Errorf("the letter lacks %q:\n%s", want, text)
				}
			}
			for _, not := range []string{"Dear Inés", "your account", own.Number} {
				if strings.Contains(text, not) {
					t.Errorf("the letter says %q", not)
				}
			}
		}
		again, pdf2, err := f.qs.DealerPayoffLetter(ctx, agent, f.loan, testDealer, day("2026-12-01"))
		if err != nil || again.Number != q.Number || !bytes.Equal(pdf, pdf2) {
			t.Errorf("the same request again: %s %v", again.Number, err)
		}
		got, pdf3, err := f.qs.DealerLetter(ctx, f.loan, q.Number)
		if err != nil || got.Dealer != q.Dealer || got.TotalCents != q.TotalCents || !bytes.Equal(pdf3, pdf) || !got.CreatedAt.Equal(q.CreatedAt) {
			t.Errorf("stored: %+v %v", got, err)
		}
		if _, _, err := f.qs.DealerLetter(ctx, f.theirs, q.Number); !errors.Is(err, quotes.ErrNotFound) {
			t.Errorf("another contract's number: %v", err)
		}
		if n := countRows(t, d, `SELECT count(*) FROM audit_events WHERE actor = $1 AND action = 'payoff.quote' AND subject = $2`,
			"staff:"+strconv.FormatInt(agent, 10), "contract:"+strconv.FormatInt(f.loan, 10)); n != 1 {
			t.Errorf("%d audit events", n)
		}
		// The customer's own quotes and documents are as they were.
		list, err := f.qs.List(ctx, f.cust, f.loan)
		if err != nil || len(list) != 1 || list[0].Number != own.Number {
			t.Errorf("the customer's quotes: %+v %v", list, err)
		}
		if countRows(t, d, `SELECT count(*) FROM documents`) != docs {
			t.Error("the dealer letter went into the customer's documents")
		}
		// A lease: the title is transferred on good funds.
		lq, lpdf, err := f.qs.DealerPayoffLetter(ctx, agent, f.lease, testDealer, day("2026-12-01"))
		if err != nil || lq.Number == q.Number {
			t.Fatalf("lease: %+v %v", lq, err)
		}
		if text := pdftest.Text(t, lpdf); text != "" && (!strings.Contains(text, "Lease balance") || !strings.Contains(text, "transfer the vehicle's title")) {
			t.Errorf("lease letter:\n%s", text)
		}
	})
}

// TestDealerPayoffLetterRefusals: each refusal writes nothing.
func TestDealerPayoffLetterRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		agent, customerLogin := staffLogins(t, d, f.cust)
		with := func(change func(*quotes.Dealer)) quotes.Dealer {
			dl := testDealer
			change(&dl)
			return dl
		}
		for _, tc := range []struct {
			name     string
			by       int64
			contract int64
			dealer   quotes.Dealer
			good     string
			want     error
		}{
			{"a customer's login", customerLogin, f.loan, testDealer, "2026-12-01", quotes.ErrNotStaff},
			{"no such login", 999999, f.loan, testDealer, "2026-12-01", quotes.ErrNotStaff},
			{"no such contract", agent, 999999, testDealer, "2026-12-01", quotes.ErrNotFound},
			{"Thanksgiving", agent, f.loan, testDealer, "2026-11-26", quotes.ErrGoodThrough},
			{"too far ahead", agent, f.loan, testDealer, "2026-12-28", quotes.ErrGoodThrough},
			{"yesterday", agent, f.loan, testDealer, "2026-11-24", quotes.ErrGoodThrough},
			{"no name", agent, f.loan, with(func(d *quotes.Dealer) { d.Name = " " }), "2026-12-01", quotes.ErrDealer},
			{"no street", agent, f.loan, with(func(d *quotes.Dealer) { d.AddressLine1 = "" }), "2026-12-01", quotes.ErrDealer},
			{"a long street", agent, f.loan, with(func(d *quotes.Dealer) { d.AddressLine1 = strings.Repeat("9", postal.LineRunesMax+1) }), "2026-12-01", quotes.ErrDealer},
			{"a long city", agent, f.loan, with(func(d *quotes.Dealer) { d.City = strings.Repeat("C", postal.CityRunesMax+1) }), "2026-12-01", quotes.ErrDealer},
			{"no state", agent, f.loan, with(func(d *quotes.Dealer) { d.State = "ZZ" }), "2026-12-01", quotes.ErrDealer},
			{"a bad ZIP", agent, f.loan, with(func(d *quotes.Dealer) { d.ZIP = "4411" }), "2026-12-01", quotes.ErrDealer},
			{"another script", agent, f.loan, with(func(d *quotes.Dealer) { d.Name = "日産ディーラー" }), "2026-12-01", quotes.ErrDealer},
			{"a control character", agent, f.loan, with(func(d *quotes.Dealer) { d.Contact = "Dana\nRuiz" }), "2026-12-01", quotes.ErrDealer},
			{"a bad phone", agent, f.loan, with(func(d *quotes.Dealer) { d.Phone = "call me" }), "2026-12-01", quotes.ErrDealer},
			{"a short fax", agent, f.loan, with(func(d *quotes.Dealer) { d.Fax = "555-0143" }), "2026-12-01", quotes.ErrDealer},
			{"a bad email", agent, f.loan, with(func(d *quotes.Dealer) { d.Email = "titles at lakeside" }), "2026-12-01", quotes.ErrDealer},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if _, _, err := f.qs.DealerPayoffLetter(ctx, tc.by, tc.contract, tc.dealer, day(tc.good)); !errors.Is(err, tc.want) {
					t.Errorf("got %v, want %v", err, tc.want)
				}
			})
		}
		if n := countRows(t, d, `SELECT count(*) FROM dealer_payoff_quotes`); n != 0 {
			t.Errorf("%d dealer quotes written", n)
		}
		if n := countRows(t, d, `SELECT count(*) FROM audit_events WHERE action = 'payoff.quote'`); n != 0 {
			t.Errorf("%d audit events", n)
		}
		// A closed contract.
		if _, err := d.SQL.ExecContext(ctx, `UPDATE contracts SET state = 'paid_off' WHERE id = $1`, f.theirs); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.qs.DealerPayoffLetter(ctx, agent, f.theirs, testDealer, day("2026-12-01")); !errors.Is(err, quotes.ErrClosed) {
			t.Errorf("closed contract: %v", err)
		}
	})
}

// TestDealerLetterFitsPage: a dealer letter whose dealer and customer
// addresses have every field at the most postal allows, in the widest
// letter (W), with every optional line, scheduled payments and a lease,
// stays on one page inside the margins, no word over another (as
// TestLetterFitsPage holds the customer's letter).
func TestDealerLetterFitsPage(t *testing.T) {
	w := func(n int) string { return strings.Repeat("W", n) }
	a := servicing.Addressee{FirstName: "Maximiliana Guadalupe", LastName: "Fernández-Villavicencio de la Torre", AccountNumber: "NW-L000001",
		AddressLine1: w(postal.LineRunesMax), City: w(postal.CityRunesMax), State: "WY", ZIP: "99999-9999",
		VIN: "1HGCM82633A004352", VehicleYear: 2026, Make: "Mercedes-Benz", Model: "GLE 450e 4MATIC Coupe", Kind: servicing.KindLease}
	dl := quotes.Dealer{Name: w(postal.LineRunesMax), AddressLine1: w(postal.LineRunesMax), AddressLine2: w(postal.LineRunesMax),
		City: w(postal.CityRunesMax), State: "WY", ZIP: "99999-9999", Contact: w(postal.LineRunesMax), Phone: "+1 (307) 555-0100 x1234",
		Fax: "+1 (307) 555-0101 x1234", Email: strings.Repeat("w", 60) + "@" + strings.Repeat("w", 40) + ".example"}
	q := quotes.DealerQuote{Quote: quotes.Quote{Number: "DQ-00000001", Kind: quotes.KindPayoff, QuotedOn: day("2026-11-25"), GoodThrough: day("2026-12-01"),
		PrincipalCents: cents("28500"), InterestCents: cents("101.12"), FeesCents: cents("21.24"), BilledCents: cents("412.50"),
		PerDiemCents: cents("5.46"), TotalCents: cents("29034.86"), ScheduledCents: cents("412.50"), Lang: "en",
		CreatedAt: time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC)}, Dealer: dl}
	pdf, err := quotes.RenderDealerLetter(testConfig, a, q, w(40))
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("DEALER_LETTER_OUT") != "" {
		_ = os.WriteFile(os.Getenv("DEALER_LETTER_OUT"), pdf, 0o600)
	}
	text := pdftest.Text(t, pdf)
	if text == "" {
		t.Skip("pdftotext not installed")
	}
	for _, want := range []string{dl.AddressLine1, dl.City + ", WY 99999-9999", "Attn: " + dl.Contact} {
		if !strings.Contains(text, want) {
			t.Errorf("the letter lacks the whole line %q", want)
		}
	}
	pages, words := wordBoxes(t, pdf)
	if pages != 1 {
		t.Errorf("%d pages", pages)
	}
	for i, wd := range words {
		if wd.xMax > letterRightX+0.5 || wd.xMin < 18/25.4*72-0.5 {
			t.Errorf("%q runs past the margins: x %.1f–%.1f", wd.text, wd.xMin, wd.xMax)
		}
		for _, o := range words[i+1:] {
			if wd.page == o.page && wd.yMin < o.yMax-1 && o.yMin < wd.yMax-1 && wd.xMin < o.xMax-0.5 && o.xMin < wd.xMax-0.5 {
				t.Errorf("%q and %q overlap", wd.text, o.text)
			}
		}
	}
}
