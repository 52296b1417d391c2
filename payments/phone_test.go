package payments_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"carfin/callers"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/identity"
	"carfin/money"
	"carfin/payments"
)

const lenderPhone = "1-800-555-0199"

// phoneEnv is an env whose lender has a phone number, with two staff
// logins and a verifier of callers.
type phoneEnv struct {
	*env
	agent, other int64
	verify       *callers.Service
	id           *identity.Service
}

func newPhoneEnv(t *testing.T, d *db.DB, today string) *phoneEnv {
	t.Helper()
	e := newEnv(t, d, today, func(c *payments.Config) { c.Phone = lenderPhone })
	id, err := identity.New(identity.Config{DB: d, Params: identity.Params{MemoryKiB: 64, Time: 1, Threads: 1}, BaseURL: "https://portal.example"})
	if err != nil {
		t.Fatal(err)
	}
	p := &phoneEnv{env: e, verify: callers.New(d, "Northwind Motor Finance"), id: id}
	if p.agent, err = id.CreateStaff(e.ctx, "agent@northwind.example", "Agent", "a long staff password for tests"); err != nil {
		t.Fatal(err)
	}
	if p.other, err = id.CreateStaff(e.ctx, "other@northwind.example", "Other", "a long staff password for tests"); err != nil {
		t.Fatal(err)
	}
	return p
}

// verified passes the caller of contract for the staff member by (the
// test customers' ZIP and taxpayer ID), returning the verification's id.
func (p *phoneEnv) verified(by, contract int64) int64 {
	p.t.Helper()
	var account string
	if err := p.db.Read.QueryRowContext(p.ctx, `SELECT account_number FROM contracts WHERE id = $1`, contract).Scan(&account); err != nil {
		p.t.Fatal(err)
	}
	v, err := p.verify.Verify(p.ctx, by, "call-1", account, callers.Answers{ZIP: "62701", SSNLast4: "1234"})
	if err != nil {
		p.t.Fatal(err)
	}
	return v.ID
}

// scripted fills req's ScriptSHA256 from the script the agent would read.
func (p *phoneEnv) scripted(by int64, req payments.PhonePayment) (payments.PhonePayment, payments.PhoneScript) {
	p.t.Helper()
	sc, err := p.pay.PhoneAuthorizationScript(p.ctx, by, req)
	if err != nil {
		p.t.Fatal(err)
	}
	req.ScriptSHA256 = sc.SHA256
	return req, sc
}

// TestPhonePayment: an agent reads the TEL script to a verified caller and
// takes a one-time payment from the customer's saved bank account: the
// payment is the portal's (scheduled, receipt, email), with the
// authorization recorded verbatim and audited as the staff member, the
// written notice emailed, a repeat of the same key answered with the first
// payment, and the evening's NACHA file carrying it in a TEL batch beside
// the portal's WEB batch.
func TestPhonePayment(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newPhoneEnv(t, d, "2026-11-02") // Monday, 10:00
		ada := e.customer("Ada")
		loan := e.loan(ada, "12000", 36, "2026-10-15", "2026-11-15")
		m := e.bank(ada, "112601818", "123456789")
		v := e.verified(e.agent, loan)

		req := payments.PhonePayment{ContractID: loan, MethodID: m.ID, AmountCents: cents("250.00"), VerificationID: v,
			AuthorizedByCaller: true, IdempotencyKey: "console-1", IP: "10.0.0.7"}
		req, sc := e.scripted(e.agent, req)
		for _, want := range []string{"Northwind Motor Finance", "Ada Tester", "$250.00", "Monday, November 2, 2026", "checking account at Prairie Gate Savings Bank ending in 6789",
			lenderPhone, "Today is Monday, November 2, 2026", "single electronic (ACH) debit", "cannot be cancelled after this call",
			"do you authorize Northwind Motor Finance to debit $250.00"} {
			if !strings.Contains(sc.Text, want) {
				t.Errorf("script lacks %q:\n%s", want, sc.Text)
			}
		}
		if sc.Version != payments.PhoneScriptVersion || len(sc.SHA256) != 64 || sc.Date != day("2026-11-02") {
			t.Errorf("script %+v", sc)
		}
		es := req
		es.Lang = "es"
		if s, err := e.pay.PhoneAuthorizationScript(e.ctx, e.agent, es); err != nil || !strings.Contains(s.Text, "¿autoriza a Northwind Motor Finance a debitar $250.00") ||
			s.SHA256 == sc.SHA256 {
			t.Errorf("Spanish script: %v\n%s", err, s.Text)
		}

		p, err := e.pay.TakePhonePayment(e.ctx, e.agent, req)
		if err != nil {
			t.Fatal(err)
		}
		if p.Confirmation == "" || p.Status != payments.StatusScheduled || p.AmountCents != cents("250") || p.Date != day("2026-11-02") || p.CustomerID != ada {
			t.Fatalf("payment %+v", p)
		}
		again, err := e.pay.TakePhonePayment(e.ctx, e.agent, req)
		if err != nil || again.ID != p.ID || !again.Duplicate || again.Confirmation != p.Confirmation {
			t.Fatalf("the same key again: %+v %v", again, err)
		}
		other := req
		other.AmountCents = cents("10")
		if _, err := e.pay.TakePhonePayment(e.ctx, e.agent, other); !errors.Is(err, payments.ErrIdempotencyConflict) {
			t.Errorf("same key, another payment: %v", err)
		}
		// The portal's key of the same text is another payment's.
		web := e.payOther(ada, loan, m.ID, "100", 0, "console-1")
		if e.count(`SELECT count(*) FROM payments`) != 2 {
			t.Fatal("payments")
		}

		var staff, verification int64
		var version, lang, hash, text string
		if err := d.Read.QueryRowContext(e.ctx, `SELECT staff_login_id, verification_id, script_version, script_lang, script_sha256, script_text
			FROM phone_payment_authorizations WHERE payment_id = $1 AND customer_id = $2`, p.ID, ada).Scan(&staff, &verification, &version, &lang, &hash, &text); err != nil {
			t.Fatal(err)
		}
		if staff != e.agent || verification != v || version != payments.PhoneScriptVersion || lang != "en" || hash != sc.SHA256 || text != sc.Text {
			t.Errorf("authorization: %d %d %s %s %s", staff, verification, version, lang, hash)
		}
		if n := e.count(`SELECT count(*) FROM audit_events WHERE actor = $1 AND action = 'payment.phone' AND subject = $2`,
			"staff:"+strconv.FormatInt(e.agent, 10), "payment:"+strconv.FormatInt(p.ID, 10)); n != 1 {
			t.Errorf("%d audit events", n)
		}
		q := e.outbox(e.email(ada))
		if k := kinds(q); strings.Count(k, "payment.scheduled") != 2 || strings.Count(k, "payment.phone_authorization") != 1 {
			t.Errorf("messages: %s", k)
		}
		for _, m := range q {
			if m.Message.Kind == "payment.phone_authorization" && (!strings.Contains(m.Message.Text, sc.Text) ||
				!strings.Contains(m.Message.Text, "written confirmation of that authorization") || !strings.Contains(m.Message.Text, p.Confirmation)) {
				t.Errorf("written notice:\n%s", m.Message.Text)
			}
		}

		// The evening file: the phone payment in its own TEL batch.
		e.at("2026-11-02", 17, 30)
		st, err := e.pay.RunDay(e.ctx, day("2026-11-02"))
		if err != nil {
			t.Fatal(err)
		}
		if st.File.Debits != 2 || st.File.DebitCents != cents("350") {
			t.Fatalf("run %+v", st.File)
		}
		file := readFile(t, st.File.Path)
		if !strings.Contains(file, "TELLOAN PYMT") || !strings.Contains(file, "WEBLOAN PYMT") {
			t.Errorf("file lacks a TEL and a WEB batch:\n%s", file)
		}
		tel := e.entryDetail(p.ID)
		if !strings.HasPrefix(tel, "627112601818123456789        "+padAmount(p.AmountCents)+p.Confirmation) || tel[76:78] != "  " {
			t.Errorf("TEL entry %q", tel)
		}
		if web := e.entryDetail(web.ID); web[76:78] != "S " {
			t.Errorf("WEB entry %q", web)
		}
		// Each batch header names its SEC code, and the TEL entry sits in the TEL batch.
		var sec string
		for _, l := range strings.Split(file, "\n") {
			if strings.HasPrefix(l, "5") {
				sec = l[50:53]
			}
			if l == tel && sec != "TEL" {
				t.Errorf("the phone payment is in a %s batch", sec)
			}
		}
		e.checksTEL()
	})
}

// checksTEL is checks for a day with TEL entries: internal/nachatest's
// parser knows only WEB and PPD batches (it needs TEL added to its list
// of SEC codes), so the files are read by moov-io/ach alone.
func (e *phoneEnv) checksTEL() {
	e.t.Helper()
	e.checkBooks()
	rows, err := e.db.Read.QueryContext(e.ctx, `SELECT path FROM ach_files WHERE status = 'written'`)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var path string
		if err := rows.Scan(&path); err != nil {
			e.t.Fatal(err)
		}
		checkWithMoov(e.t, path, readFile(e.t, path))
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
}

// TestPhonePaymentRefusals: each refusal names its reason and writes
// nothing: not staff, no verification or another's, another customer's
// method, no yes, amounts the portal refuses, dates, a card, an account
// not validated, a script other than the current one.
func TestPhonePaymentRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newPhoneEnv(t, d, "2026-11-02") // Monday, 10:00
		ada := e.customer("Ada")
		loan := e.loan(ada, "12000", 36, "2026-10-15", "2026-11-15")
		m := e.bank(ada, "112601818", "123456789")
		bob := e.customer("Bob")
		bobLoan := e.loan(bob, "9000", 36, "2026-10-15", "2026-11-15")
		bobBank := e.bank(bob, "112601818", "555566667777")
		visa := e.card(ada, "4242424242424242")
		pending, err := e.pay.AddBankAccount(e.ctx, ada, payments.NewBankAccount{HolderName: "Ada Tester", AccountType: "savings",
			Routing: "112601818", Account: "99887766", ConfirmAccount: "99887766"})
		if err != nil {
			t.Fatal(err)
		}
		adaLogin, err := e.id.CreateCustomerLogin(e.ctx, ada, "a long customer pass phrase")
		if err != nil {
			t.Fatal(err)
		}
		v := e.verified(e.agent, loan)
		otherStaffV := e.verified(e.other, loan)
		bobV := e.verified(e.agent, bobLoan)
		base := payments.PhonePayment{ContractID: loan, MethodID: m.ID, AmountCents: cents("250"), VerificationID: v,
			AuthorizedByCaller: true, IdempotencyKey: "k"}
		base, _ = e.scripted(e.agent, base)
		before := e.count(`SELECT count(*) FROM payments`)
		audits := e.count(`SELECT count(*) FROM audit_events`)
		for _, tc := range []struct {
			name   string
			by     int64
			change func(*payments.PhonePayment)
			want   error
		}{
			{"a customer is not staff", adaLogin, func(*payments.PhonePayment) {}, payments.ErrNotStaff},
			{"no such login", 999999, func(*payments.PhonePayment) {}, payments.ErrNotStaff},
			{"no verification", e.agent, func(r *payments.PhonePayment) { r.VerificationID = 0 }, payments.ErrCallerNotVerified},
			{"another staff member's verification", e.agent, func(r *payments.PhonePayment) { r.VerificationID = otherStaffV }, payments.ErrCallerNotVerified},
			{"the verification of another customer", e.agent, func(r *payments.PhonePayment) { r.VerificationID = bobV }, payments.ErrCallerNotVerified},
			{"another customer's bank account", e.agent, func(r *payments.PhonePayment) { r.MethodID = bobBank.ID }, payments.ErrNotFound},
			{"no such contract", e.agent, func(r *payments.PhonePayment) { r.ContractID = 999999 }, payments.ErrNotFound},
			{"the caller did not say yes", e.agent, func(r *payments.PhonePayment) { r.AuthorizedByCaller = false }, payments.ErrCallerDeclined},
			{"no idempotency key", e.agent, func(r *payments.PhonePayment) { r.IdempotencyKey = "" }, payments.ErrIdempotencyConflict},
			{"zero amount", e.agent, func(r *payments.PhonePayment) { r.AmountCents = 0 }, payments.ErrAmount},
			{"negative amount", e.agent, func(r *payments.PhonePayment) { r.AmountCents = -100 }, payments.ErrAmount},
			{"more than the payoff", e.agent, func(r *payments.PhonePayment) { r.AmountCents = cents("20000") }, payments.ErrOverPayoff},
			{"a Saturday", e.agent, func(r *payments.PhonePayment) { r.Date = day("2026-11-07") }, payments.ErrDate},
			{"yesterday", e.agent, func(r *payments.PhonePayment) { r.Date = day("2026-10-30") }, payments.ErrDate},
			{"past the latest date", e.agent, func(r *payments.PhonePayment) { r.Date = day("2027-01-15") }, payments.ErrDate},
			{"a card", e.agent, func(r *payments.PhonePayment) { r.MethodID = visa.ID }, payments.ErrBankOnly},
			{"an account not validated", e.agent, func(r *payments.PhonePayment) { r.MethodID = pending.ID }, payments.ErrNotValidated},
			{"another script", e.agent, func(r *payments.PhonePayment) { r.ScriptSHA256 = strings.Repeat("0", 64) }, payments.ErrScriptChanged},
			{"the script of another amount", e.agent, func(r *payments.PhonePayment) { r.AmountCents = cents("251") }, payments.ErrScriptChanged},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := base
				r.IdempotencyKey = "k-" + tc.name
				tc.change(&r)
				if _, err := e.pay.TakePhonePayment(e.ctx, tc.by, r); !errors.Is(err, tc.want) {
					t.Errorf("got %v, want %v", err, tc.want)
				}
				if tc.want == payments.ErrScriptChanged || tc.want == payments.ErrCallerDeclined || errors.Is(tc.want, payments.ErrIdempotencyConflict) {
					return // the script itself is fine
				}
				if _, err := e.pay.PhoneAuthorizationScript(e.ctx, tc.by, r); !errors.Is(err, tc.want) {
					t.Errorf("script: got %v, want %v", err, tc.want)
				}
			})
		}
		if n := e.count(`SELECT count(*) FROM payments`); n != before {
			t.Errorf("%d payments written", n-before)
		}
		if e.count(`SELECT count(*) FROM phone_payment_authorizations`) != 0 || e.count(`SELECT count(*) FROM audit_events`) != audits {
			t.Error("refusals wrote an authorization or an audit event")
		}

		// An identical payment minutes after the first asks to confirm a second.
		if _, err := e.pay.TakePhonePayment(e.ctx, e.agent, base); err != nil {
			t.Fatal(err)
		}
		twin := base
		twin.IdempotencyKey = "k2"
		if _, err := e.pay.TakePhonePayment(e.ctx, e.agent, twin); !errors.Is(err, payments.ErrDuplicatePayment) {
			t.Errorf("twin: %v", err)
		}
		twin.Again = true
		if _, err := e.pay.TakePhonePayment(e.ctx, e.agent, twin); err != nil {
			t.Errorf("confirmed twin: %v", err)
		}

		// The call's verification ends after its time limit.
		e.at("2026-11-02", 10, 45)
		late := base
		late.IdempotencyKey = "k3"
		if _, err := e.pay.TakePhonePayment(e.ctx, e.agent, late); !errors.Is(err, payments.ErrCallerNotVerified) {
			t.Errorf("expired verification: %v", err)
		}
	})
}

// TestPhonePaymentCutoff: the portal's cut-off applies: after it, the
// earliest date is the next business day, today is refused, and a
// script read before the cut-off no longer matches.
func TestPhonePaymentCutoff(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newPhoneEnv(t, d, "2026-11-02")
		ada := e.customer("Ada")
		loan := e.loan(ada, "12000", 36, "2026-10-15", "2026-11-15")
		m := e.bank(ada, "112601818", "123456789")
		e.at("2026-11-02", 16, 55)
		v := e.verified(e.agent, loan)
		req, sc := e.scripted(e.agent, payments.PhonePayment{ContractID: loan, MethodID: m.ID, AmountCents: cents("300"), VerificationID: v,
			AuthorizedByCaller: true, IdempotencyKey: "c-1"})
		if sc.Date != day("2026-11-02") {
			t.Fatalf("before the cut-off: %s", sc.Date)
		}
		e.at("2026-11-02", 17, 5)
		if _, err := e.pay.TakePhonePayment(e.ctx, e.agent, req); !errors.Is(err, payments.ErrScriptChanged) {
			t.Errorf("script read before the cut-off: %v", err)
		}
		today := req
		today.Date = day("2026-11-02")
		if _, err := e.pay.PhoneAuthorizationScript(e.ctx, e.agent, today); !errors.Is(err, payments.ErrDate) {
			t.Errorf("today after the cut-off: %v", err)
		}
		req, sc = e.scripted(e.agent, req)
		if sc.Date != day("2026-11-03") || !strings.Contains(sc.Text, "Tuesday, November 3, 2026") {
			t.Fatalf("after the cut-off: %s\n%s", sc.Date, sc.Text)
		}
		p, err := e.pay.TakePhonePayment(e.ctx, e.agent, req)
		if err != nil || p.Date != day("2026-11-03") {
			t.Fatalf("%+v %v", p, err)
		}
		// A later date: the script says until when it can be cancelled.
		later := req
		later.IdempotencyKey, later.Date, later.AmountCents = "c-2", day("2026-11-10"), money.MustParse("40")
		_, sc = e.scripted(e.agent, later)
		if !strings.Contains(sc.Text, "You can cancel this payment by calling us at "+lenderPhone+" before 5:00 PM EST on Monday, November 9, 2026.") {
			t.Errorf("cancel paragraph:\n%s", sc.Text)
		}
	})
}

// TestAddBankAccountByPhone: an account read out on a verified call is
// added pending, as in the portal (validated before its first debit),
// audited as the staff member; it cannot pay until validated, then can.
func TestAddBankAccountByPhone(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newPhoneEnv(t, d, "2026-11-02")
		ada := e.customer("Ada")
		loan := e.loan(ada, "12000", 36, "2026-10-15", "2026-11-15")
		bob := e.customer("Bob")
		bobLoan := e.loan(bob, "9000", 36, "2026-10-15", "2026-11-15")
		v := e.verified(e.agent, loan)
		bobV := e.verified(e.agent, bobLoan)
		n := payments.NewBankAccount{HolderName: "Ada Tester", AccountType: "checking", Routing: "112601818", Account: "123456789", ConfirmAccount: "123456789"}
		for _, tc := range []struct {
			name           string
			by, v, account int64
			want           error
		}{
			{"not staff", 999999, v, loan, payments.ErrNotStaff},
			{"no verification", e.agent, 0, loan, payments.ErrCallerNotVerified},
			{"another customer's verification", e.agent, bobV, loan, payments.ErrCallerNotVerified},
			{"another staff member's call", e.other, v, loan, payments.ErrCallerNotVerified},
			{"no such contract", e.agent, v, 999999, payments.ErrNotFound},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if _, err := e.pay.AddBankAccountByPhone(e.ctx, tc.by, tc.v, tc.account, n); !errors.Is(err, tc.want) {
					t.Errorf("got %v, want %v", err, tc.want)
				}
			})
		}
		if e.count(`SELECT count(*) FROM payment_methods`) != 0 {
			t.Fatal("a refusal added a method")
		}
		m, err := e.pay.AddBankAccountByPhone(e.ctx, e.agent, v, loan, n)
		if err != nil {
			t.Fatal(err)
		}
		if m.Status != payments.MethodPending || m.CustomerID != ada || m.Last4 != "6789" {
			t.Fatalf("method %+v", m)
		}
		if n := e.count(`SELECT count(*) FROM audit_events WHERE actor = $1 AND action = 'payment_method.add'`, "staff:"+strconv.FormatInt(e.agent, 10)); n != 1 {
			t.Errorf("%d audit events", n)
		}
		req := payments.PhonePayment{ContractID: loan, MethodID: m.ID, AmountCents: cents("100"), VerificationID: v, AuthorizedByCaller: true, IdempotencyKey: "n-1"}
		if _, err := e.pay.PhoneAuthorizationScript(e.ctx, e.agent, req); !errors.Is(err, payments.ErrNotValidated) {
			t.Errorf("pending account: %v", err)
		}
		e.validate(ada, m.ID)
		req, _ = e.scripted(e.agent, req)
		if _, err := e.pay.TakePhonePayment(e.ctx, e.agent, req); err != nil {
			t.Errorf("validated account: %v", err)
		}
	})
}

// TestPhonePaymentRace: the same request sent four times at once (the
// agent's double click, a retried request) makes one payment, one
// authorization and one audit event, and every answer names it.
func TestPhonePaymentRace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newPhoneEnv(t, d, "2026-11-02")
		ada := e.customer("Ada")
		loan := e.loan(ada, "12000", 36, "2026-10-15", "2026-11-15")
		m := e.bank(ada, "112601818", "123456789")
		req, _ := e.scripted(e.agent, payments.PhonePayment{ContractID: loan, MethodID: m.ID, AmountCents: cents("75"),
			VerificationID: e.verified(e.agent, loan), AuthorizedByCaller: true, IdempotencyKey: "race"})
		const n = 4
		ids := make(chan int64, n)
		errs := make(chan error, n)
		for range n {
			go func() {
				p, err := e.pay.TakePhonePayment(e.ctx, e.agent, req)
				ids <- p.ID
				errs <- err
			}()
		}
		var first int64
		for range n {
			id, err := <-ids, <-errs
			if err != nil {
				t.Fatal(err)
			}
			if first == 0 {
				first = id
			}
			if id != first {
				t.Errorf("payments %d and %d", first, id)
			}
		}
		if e.count(`SELECT count(*) FROM payments`) != 1 || e.count(`SELECT count(*) FROM phone_payment_authorizations`) != 1 ||
			e.count(`SELECT count(*) FROM audit_events WHERE action = 'payment.phone'`) != 1 {
			t.Error("more than one payment, authorization or audit event")
		}
	})
}
