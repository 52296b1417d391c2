package tax_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/documents"
	"carfin/internal/pdftest"
	"carfin/keyring"
	"carfin/locale"
	"carfin/money"
	"carfin/preferences"
	"carfin/profile"
	"carfin/servicing"
	"carfin/tax"
)

var (
	day   = calendar.MustParse
	cents = money.MustParse
)

var testLender = tax.Lender{Name: "Northwind Motor Finance", Address: []string{"100 Harbor Way", "Columbus, OH 43215"},
	Phone: "1-800-555-0199", TIN: "12-3456789"}

// mailed records what a Mailer was given.
type mailed struct{ docs []int64 }

func (m *mailed) mailer(_ context.Context, _ *db.Tx, docID int64, _ calendar.Date) error {
	m.docs = append(m.docs, docID)
	return nil
}

// fixture: on 2026-01-12, customer Ana (English, on paper) holds a new
// US-assembled pickup loan signed 2025-02-10 (qualifies), a used car's
// loan (does not) and a lease; customer Inés (Spanish, paperless) a new
// SUV loan signed 2025-03-05 (qualifies). Each loan paid its installments
// in 2025 on the 10th.
type fixture struct {
	d                     *db.DB
	sv                    *servicing.Service
	ts                    *tax.Service
	keys                  *keyring.Keyring
	mail                  *mailed
	ana, ines             int64
	loan, used, lease, es int64
	payments              map[int64][]int64 // contract → payment events
}

func newFixture(t *testing.T, d *db.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	dbtest.ClockOf(d).Set(day("2026-01-12").Time().Add(15 * time.Hour))
	f := &fixture{d: d, sv: servicing.New(d, calendar.Of), keys: keyring.Dev(), mail: &mailed{}, payments: map[int64][]int64{}}
	var err error
	if f.ts, err = tax.New(d, tax.Config{Lender: testLender, Keys: f.keys, Mailer: f.mail.mailer}); err != nil {
		t.Fatal(err)
	}
	customer := func(first, last, email string) int64 {
		id, err := f.sv.CreateCustomer(ctx, servicing.NewCustomer{FirstName: first, LastName: last, Email: email,
			AddressLine1: "1 Main St", City: "Springfield", State: "IL", ZIP: "62701", BirthDate: day("1980-02-29"), SSNLast4: "6789"})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	f.ana, f.ines = customer("Ana", "Peña", "ana@example.com"), customer("Inés", "Muñoz", "ines@example.com")
	if err := d.InTx(ctx, func(tx *db.Tx) error {
		if err := preferences.Set(ctx, tx, f.ines, preferences.Change{Lang: "es", DueReminderDays: preferences.DueReminderDaysDefault}, "test", ""); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO esign_consents (customer_id, action, disclosure_version, disclosure_lang, disclosure_sha256,
			method, email, ip, user_agent, created_at) VALUES ($1, 'given', $2, 'es', '', 'test', 'ines@example.com', '', '', $3)`,
			f.ines, profile.DisclosureVersion, tx.Now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	seq := 0
	open := func(cust int64, kind servicing.Kind, signed string, model string, year int) int64 {
		seq++
		nc := servicing.NewContract{AccountNumber: fmt.Sprintf("NW-T%05d", seq), CustomerID: cust,
			VIN: servicing.WithCheckDigit(fmt.Sprintf("1FTFW1E5%c0R%06d", 'X', seq)), VehicleYear: year, Make: "Ford", Model: model,
			Kind: kind, AmountFinancedCents: cents("30000"), APR: money.MustParseRate("7.99"), TermMonths: 60,
			ContractDate: day(signed), FirstDue: day(signed).AddMonths(1), GraceDays: 10,
			LateFee: servicing.LateFeeRule{Kind: "fixed", FixedCents: cents("25")}, NSFFeeCents: cents("25")}
		if kind == servicing.KindLease {
			nc.TermMonths, nc.AmountFinancedCents, nc.APR = 36, 0, 0
			nc.Lease = &servicing.NewLease{GrossCapCostCents: cents("34500"), CapCostReductionCents: cents("2500"),
				ResidualCents: cents("18975"), MoneyFactor: money.MoneyFactor(125000), TaxRate: money.MustParseRate("6.25"),
				MileageAllowance: 36000, ExcessMileRateCents: cents("0.25"), PurchaseOptionCents: cents("18975"),
				PurchaseFeeCents: cents("350"), DispositionFeeCents: cents("395"), OdometerStart: 12}
		}
		id, err := f.sv.OpenContract(ctx, nc)
		if err != nil {
			t.Fatal(err)
		}
		var payment money.Cents
		if err := d.Read.QueryRowContext(ctx, `SELECT payment_cents FROM contracts WHERE id = $1`, id).Scan(&payment); err != nil {
			t.Fatal(err)
		}
		for due := day(signed).AddMonths(1); due < day("2026-01-01"); due = due.AddMonths(1) {
			res, err := f.sv.PostPayment(ctx, servicing.Request{ContractID: id, Date: due, IdempotencyKey: fmt.Sprintf("pay:%d:%s", id, due), Actor: "test"}, payment)
			if err != nil {
				t.Fatal(err)
			}
			f.payments[id] = append(f.payments[id], res.EventID)
		}
		return id
	}
	f.loan = open(f.ana, servicing.KindLoan, "2025-02-10", "F-150", 2025)
	f.used = open(f.ana, servicing.KindLoan, "2025-04-01", "Focus", 2021)
	f.lease = open(f.ana, servicing.KindLease, "2025-05-01", "Escape", 2025)
	f.es = open(f.ines, servicing.KindLoan, "2025-03-05", "Explorer", 2025)
	newData := tax.Data{TaxpayerID: "123-45-6789", Condition: tax.ConditionNew, OriginalUseByBorrower: true, PersonalUse: true,
		FirstLien: true, VehicleType: tax.VehiclePickup, GVWRLbs: 7_050, USFinalAssembly: true}
	set := func(id int64, d tax.Data) {
		t.Helper()
		if err := f.d.InTx(ctx, func(tx *db.Tx) error { return tax.SetVehicleLoanData(ctx, tx, f.keys, id, d) }); err != nil {
			t.Fatal(err)
		}
	}
	d1 := newData
	d1.OriginationDate = day("2025-02-10")
	set(f.loan, d1)
	d2 := d1
	d2.Condition, d2.OriginalUseByBorrower, d2.VehicleType, d2.OriginationDate = tax.ConditionUsed, false, tax.VehicleCar, day("2025-04-01")
	set(f.used, d2)
	d3 := d1
	d3.TaxpayerID, d3.VehicleType, d3.OriginationDate, d3.AcquisitionDate = "912-70-4321", tax.VehicleSUV, day("2025-03-05"), day("2025-03-20")
	set(f.es, d3)
	return f
}

func (f *fixture) returns(t *testing.T, id int64) []tax.Return {
	t.Helper()
	rs, err := tax.ContractReturns(context.Background(), f.d.Read, id, 2025)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func TestSetVehicleLoanData(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		got, ok, err := tax.VehicleLoanData(ctx, d.Read, f.loan)
		if err != nil || !ok || got.TaxpayerID != "***-**-6789" || got.TaxpayerIDKind != tax.TINSSN || got.VehicleType != tax.VehiclePickup ||
			got.GVWRLbs != 7050 || !got.USFinalAssembly || got.OriginationDate != day("2025-02-10") || got.AcquisitionDate != 0 {
			t.Fatalf("data %+v, %v, %v", got, ok, err)
		}
		// The full id is stored only sealed, and opens only for its own contract.
		var sealed []byte
		var keyID, last4 string
		if err := d.Read.QueryRowContext(ctx, `SELECT taxpayer_id_key_id, taxpayer_id_sealed, taxpayer_id_last4 FROM contract_tax_data WHERE contract_id = $1`,
			f.loan).Scan(&keyID, &sealed, &last4); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(sealed), "123456789") || last4 != "6789" {
			t.Errorf("stored %q %q", sealed, last4)
		}
		if _, err := f.keys.Open(keyID, sealed, fmt.Sprintf("carfin/contract_tax_data/contract:%d", f.used)); !errors.Is(err, keyring.ErrDecrypt) {
			t.Errorf("opened for another contract: %v", err)
		}
		good := tax.Data{TaxpayerID: "123-45-6789", Condition: tax.ConditionNew, OriginalUseByBorrower: true, PersonalUse: true,
			FirstLien: true, VehicleType: tax.VehicleCar, GVWRLbs: 4000, USFinalAssembly: true, OriginationDate: day("2025-06-01")}
		cases := []struct {
			name   string
			change func(*tax.Data)
		}{
			{"SSN area 666", func(d *tax.Data) { d.TaxpayerID = "666-12-3456" }},
			{"eight digits", func(d *tax.Data) { d.TaxpayerID = "12345678" }},
			{"condition", func(d *tax.Data) { d.Condition = "demo" }},
			{"vehicle type", func(d *tax.Data) { d.VehicleType = "truck" }},
			{"no weight", func(d *tax.Data) { d.GVWRLbs = 0 }},
			{"no origination date", func(d *tax.Data) { d.OriginationDate = 0 }},
			{"acquired before originated", func(d *tax.Data) { d.AcquisitionDate = day("2025-05-31") }},
			{"used but original use by the borrower", func(d *tax.Data) { d.Condition = tax.ConditionUsed }},
		}
		for _, tc := range cases {
			data := good
			tc.change(&data)
			err := d.InTx(ctx, func(tx *db.Tx) error { return tax.SetVehicleLoanData(ctx, tx, f.keys, f.lease, data) })
			if !errors.Is(err, tax.ErrInvalid) {
				t.Errorf("%s: %v", tc.name, err)
			}
		}
		if _, ok, _ := tax.VehicleLoanData(ctx, d.Read, f.lease); ok {
			t.Error("bad data was written")
		}
		err = d.InTx(ctx, func(tx *db.Tx) error { return tax.SetVehicleLoanData(ctx, tx, f.keys, 999999, good) })
		if !errors.Is(err, tax.ErrNotFound) {
			t.Errorf("unknown contract: %v", err)
		}
		// Replacing the data is an upsert.
		if err := d.InTx(ctx, func(tx *db.Tx) error { return tax.SetVehicleLoanData(ctx, tx, f.keys, f.lease, good) }); err != nil {
			t.Fatal(err)
		}
		good.VehicleType = tax.VehicleMinivan
		if err := d.InTx(ctx, func(tx *db.Tx) error { return tax.SetVehicleLoanData(ctx, tx, f.keys, f.lease, good) }); err != nil {
			t.Fatal(err)
		}
		if got, _, _ := tax.VehicleLoanData(ctx, d.Read, f.lease); got.VehicleType != tax.VehicleMinivan {
			t.Errorf("after update: %+v", got)
		}
	})
}

// TestYearEnd records 2025's returns, checks each box against the ledger
// and servicing's history, issues the statements and summaries in each
// customer's language, mails the paper one, and does nothing the second
// time.
func TestYearEnd(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		if _, err := f.ts.Report(ctx, 2026); !errors.Is(err, tax.ErrYearOpen) {
			t.Errorf("report of the open year: %v", err)
		}
		if _, err := f.ts.Report(ctx, 2024); !errors.Is(err, tax.ErrTaxYear) {
			t.Errorf("report of 2024: %v", err)
		}
		st, err := f.ts.YearEnd(ctx, 2025, day("2026-01-12"))
		if err != nil {
			t.Fatal(err)
		}
		if st.Contracts != 4 || st.Recorded != 2 || st.Statements != 2 || st.Summaries != 4 || st.Mailed != 1 || st.Unmailed != 0 {
			t.Errorf("stats %+v", st)
		}
		interest, err := tax.InterestReceived(ctx, d.Read, 2025)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			id, cust  int64
			eligible  bool
			principal money.Cents
		}{{f.loan, f.ana, true, cents("30000")}, {f.used, f.ana, false, 0}, {f.lease, f.ana, false, 0}, {f.es, f.ines, true, cents("30000")}} {
			paid, err := f.sv.InterestPaid(ctx, c.cust, c.id)
			if err != nil {
				t.Fatal(err)
			}
			if paid[2025] != interest[c.id] {
				t.Errorf("contract %d: servicing's interest %s, the ledger's %s", c.id, paid[2025], interest[c.id])
			}
			rs := f.returns(t, c.id)
			if !c.eligible {
				if len(rs) != 0 {
					t.Errorf("contract %d: returns %+v", c.id, rs)
				}
				continue
			}
			if len(rs) != 1 {
				t.Fatalf("contract %d: returns %+v", c.id, rs)
			}
			r := rs[0]
			if r.Box1InterestCents != paid[2025] || r.Box1InterestCents < cents("600") || r.Box4PrincipalCents != c.principal ||
				r.Box5RefundCents != 0 || r.Corrected || r.Seq != 0 || r.Status != tax.StatusPending || r.DocumentID == 0 || r.VehicleYear != 2025 {
				t.Errorf("contract %d: return %+v", c.id, r)
			}
		}
		// The statements: English on paper (mailed), Spanish in the portal.
		en := f.returns(t, f.loan)[0]
		if len(f.mail.docs) != 1 || f.mail.docs[0] != en.DocumentID || en.MailedOn != day("2026-01-12") {
			t.Errorf("mailed %v, return %+v", f.mail.docs, en)
		}
		doc, err := documents.Get(ctx, d.Read, f.ana, en.DocumentID)
		if err != nil || doc.Kind != documents.KindTax1098VLI || doc.Ref != fmt.Sprintf("1098vli:%d:2025", f.loan) {
			t.Fatalf("document %+v, %v", doc, err)
		}
		text := pdftest.Text(t, doc.Content)
		for _, want := range []string{"Vehicle Loan Interest Statement", "Form 1098-VLI for calendar year 2025", "***-**-6789", "12-3456789",
			locale.Money("en", en.Box1InterestCents), "$30,000.00", en.VIN, "F-150", "not a decision", "$10,000.00", "Leases do not qualify", "Notice 2025-57"} {
			if text != "" && !strings.Contains(strings.Join(strings.Fields(text), " "), want) {
				t.Errorf("English statement lacks %q:\n%s", want, text)
			}
		}
		if text != "" && strings.Contains(text, "123-45-6789") {
			t.Error("the statement shows the full taxpayer id")
		}
		esr := f.returns(t, f.es)[0]
		esDoc, err := documents.Get(ctx, d.Read, f.ines, esr.DocumentID)
		if err != nil {
			t.Fatal(err)
		}
		if text := pdftest.Text(t, esDoc.Content); text != "" {
			flat := strings.Join(strings.Fields(text), " ")
			for _, want := range []string{"Declaración de intereses de préstamo de vehículo", "***-**-4321", "Inés Muñoz", "Los arrendamientos no califican",
				"Ensamblaje final", "Sí"} {
				if !strings.Contains(flat, want) {
					t.Errorf("Spanish statement lacks %q:\n%s", want, text)
				}
			}
		}
		// Summaries: every contract, the lease too.
		for _, c := range []struct {
			id, cust int64
			want     string
		}{{f.lease, f.ana, "A lease charges no interest"}, {f.used, f.ana, "Paid to interest"}, {f.es, f.ines, "Resumen anual de intereses"}} {
			docs, err := documents.List(ctx, d.Read, c.cust, c.id)
			if err != nil {
				t.Fatal(err)
			}
			var found bool
			for _, dd := range docs {
				if dd.Kind == documents.KindInterestSummary && dd.Ref == fmt.Sprintf("interest:%d:2025", c.id) {
					found = true
					full, err := documents.Get(ctx, d.Read, c.cust, dd.ID)
					if err != nil {
						t.Fatal(err)
					}
					if text := pdftest.Text(t, full.Content); text != "" && !strings.Contains(strings.Join(strings.Fields(text), " "), c.want) {
						t.Errorf("summary of %d lacks %q:\n%s", c.id, c.want, text)
					}
				}
			}
			if !found {
				t.Errorf("contract %d has no 2025 summary: %+v", c.id, docs)
			}
		}
		// Again: nothing new.
		again, err := f.ts.YearEnd(ctx, 2025, day("2026-01-13"))
		if err != nil {
			t.Fatal(err)
		}
		if again.Recorded != 0 || again.Statements != 0 || again.Summaries != 0 || again.Mailed != 0 || again.Existing != 2 || len(f.mail.docs) != 1 {
			t.Errorf("second run %+v", again)
		}
		if st, err := f.ts.Corrections(ctx, 2025); err != nil || st.Corrected != 0 || st.Recorded != 0 || st.Statements != 0 {
			t.Errorf("corrections with nothing changed: %+v, %v", st, err)
		}
	})
}

// TestCorrections reports 2025, then reverses a payment dated in 2025: a
// corrected return with the new box 1 supersedes the original, whose box
// 1 stays as filed, and a corrected statement is issued and mailed. (The
// new box 1 can be higher: the next payment pays two months of interest,
// on a higher principal.)
func TestCorrections(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		if st, err := f.ts.Corrections(ctx, 2025); err != nil || st != (tax.Stats{}) {
			t.Errorf("corrections before the report: %+v, %v", st, err)
		}
		if _, err := f.ts.YearEnd(ctx, 2025, day("2026-01-12")); err != nil {
			t.Fatal(err)
		}
		orig := f.returns(t, f.loan)[0]
		// The October 2025 payment comes back.
		evs := f.payments[f.loan]
		if _, err := f.sv.Reverse(ctx, servicing.Request{ContractID: f.loan, Date: day("2026-01-12"), IdempotencyKey: "return", Actor: "test",
			Memo: "R01"}, evs[len(evs)-3]); err != nil {
			t.Fatal(err)
		}
		st, err := f.ts.Corrections(ctx, 2025)
		if err != nil {
			t.Fatal(err)
		}
		if st.Corrected != 1 || st.Recorded != 0 || st.Statements != 1 || st.Mailed != 1 {
			t.Errorf("stats %+v", st)
		}
		rs := f.returns(t, f.loan)
		if len(rs) != 2 {
			t.Fatalf("returns %+v", rs)
		}
		paid, err := f.sv.InterestPaid(ctx, f.ana, f.loan)
		if err != nil {
			t.Fatal(err)
		}
		if rs[0] != orig {
			t.Errorf("the original changed: %+v, was %+v", rs[0], orig)
		}
		c := rs[1]
		if !c.Corrected || c.Seq != 1 || c.SupersedesID != orig.ID || c.Box1InterestCents != paid[2025] || c.Box1InterestCents == orig.Box1InterestCents ||
			c.DocumentID == 0 || c.DocumentID == orig.DocumentID || c.MailedOn == 0 {
			t.Errorf("corrected return %+v (interest now %s)", c, paid[2025])
		}
		doc, err := documents.Get(ctx, d.Read, f.ana, c.DocumentID)
		if err != nil || doc.Ref != fmt.Sprintf("1098vli:%d:2025:c1", f.loan) {
			t.Fatalf("corrected statement %+v, %v", doc, err)
		}
		if text := pdftest.Text(t, doc.Content); text != "" {
			flat := strings.Join(strings.Fields(text), " ")
			if !strings.Contains(flat, "CORRECTED") || !strings.Contains(flat, locale.Money("en", c.Box1InterestCents)) {
				t.Errorf("corrected statement:\n%s", text)
			}
		}
		// Idempotent.
		if st, err := f.ts.Corrections(ctx, 2025); err != nil || st.Corrected != 0 || st.Statements != 0 || st.Mailed != 0 {
			t.Errorf("second corrections run: %+v, %v", st, err)
		}
		// The loan no longer qualifies (business use, data corrected): a
		// corrected return withdraws it, every money box 0.
		data, _, _ := tax.VehicleLoanData(ctx, d.Read, f.loan)
		data.TaxpayerID, data.PersonalUse = "123-45-6789", false
		if err := d.InTx(ctx, func(tx *db.Tx) error { return tax.SetVehicleLoanData(ctx, tx, f.keys, f.loan, data) }); err != nil {
			t.Fatal(err)
		}
		if st, err := f.ts.Corrections(ctx, 2025); err != nil || st.Corrected != 1 {
			t.Errorf("withdrawal: %+v, %v", st, err)
		}
		rs = f.returns(t, f.loan)
		if w := rs[len(rs)-1]; len(rs) != 3 || w.Eligible || w.Box1InterestCents != 0 || w.Box4PrincipalCents != 0 || !w.Corrected || w.SupersedesID != c.ID {
			t.Errorf("withdrawing return %+v", rs)
		}
		if st, err := f.ts.Corrections(ctx, 2025); err != nil || st.Corrected != 0 {
			t.Errorf("after the withdrawal: %+v, %v", st, err)
		}
	})
}

// TestStatementTexts renders every kind of statement and summary in both
// languages (a missing text panics) and validates each PDF strictly.
func TestStatementTexts(t *testing.T) {
	b := tax.Borrower{Name: "Ana Peña", AddressLine1: "1 Main St", City: "Springfield", State: "IL", ZIP: "62701", TINLast4: "6789"}
	for _, lang := range []string{"en", "es"} {
		for _, r := range []tax.Return{
			{Year: 2025, Eligible: true, Box1InterestCents: 123456, VIN: "1FTFW1E50RX000001", OriginationDate: day("2025-02-10")},
			{Year: 2026, Eligible: false, Corrected: true, Seq: 2},
			{Year: 2027, Eligible: true, Corrected: true, Seq: 1, AcquisitionDate: day("2027-03-01")},
		} {
			pdf, err := tax.RenderStatement(testLender, b, r, lang, time.Date(2026, 1, 12, 0, 0, 0, 0, time.UTC))
			if err != nil {
				t.Fatal(err)
			}
			pdftest.Text(t, pdf)
		}
		for _, k := range []servicing.Kind{servicing.KindLoan, servicing.KindLease} {
			pdf, err := tax.RenderSummary(testLender, b, tax.Summary{Kind: k, Year: 2025}, lang, time.Date(2026, 1, 12, 0, 0, 0, 0, time.UTC))
			if err != nil {
				t.Fatal(err)
			}
			pdftest.Text(t, pdf)
		}
	}
}
