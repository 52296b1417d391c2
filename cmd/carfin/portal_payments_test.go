package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/locale"
	"carfin/money"
	"carfin/payments"
	"carfin/payments/cardtest"
	"carfin/preferences"
	"carfin/servicing"
)

// The payments pages (issue 6) through real HTTP on both engines: payment
// methods with their validation and re-authentication, the one-time
// payment flow with its review and idempotent confirmation, scheduled
// payments changed and cancelled until the cut-off, autopay with its
// authorization, the reminder setting; bad input refused next to its
// field with nothing written; and an authorization table for every route.

// payEnv is the payments configuration of the tests: the public
// development key, the sample routing directory, the test card processor
// and a NACHA drop directory.
type payEnv map[string]string

func newPayEnv(t *testing.T) payEnv {
	return payEnv{"CARFIN_PAYMENT_KEYS": "dev", "CARFIN_ROUTING_FILE": "sample", "CARFIN_CARD_PROCESSOR": "test",
		"CARFIN_ACH_DIR": t.TempDir(), "CARFIN_ACH_ODFI": "061993512", "CARFIN_ACH_COMPANY_ID": "1987654321",
		"CARFIN_ACH_COMPANY_NAME": "Northwind Motor"}
}

func (e payEnv) get(k string) string { return e[k] }

// serve sets the environment of a server under test.
func (e payEnv) serve(c *serveConfig) { c.env = e.get }

// paymentsFor returns a payments service over d with the server's
// configuration, for what the tests set up or run behind the pages (the
// day's run, another customer's payments).
func (e payEnv) paymentsFor(t testing.TB, d *db.DB) *payments.Service {
	t.Helper()
	cutoff, err := calendar.ParseCutoff("17:00", "America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	pay, err := paymentsFromEnv(e.get, d, servicing.New(d, cutoff.Today), cutoff, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return pay
}

var newYork = func() *time.Location { l, _ := time.LoadLocation("America/New_York"); return l }()

// setClock sets the server's clock to hh:mm New York time on date.
func (s *server) setClock(date string, hh, mm int) {
	y, m, d := calendar.MustParse(date).Date()
	s.clock.Set(time.Date(y, m, d, hh, mm, 0, 0, newYork))
}

// payFixture is a server with two customers: A signs in through the
// pages; B has a confirmed bank account, a scheduled payment and autopay,
// made through the payments service.
type payFixture struct {
	s      *server
	d      *db.DB
	env    payEnv
	pay    *payments.Service
	a, b   customer
	aLoan  int64
	bLoan  int64
	bBank  payments.Method
	bPay   payments.Payment
	aBrows *browser
}

// The tests run on Wednesday, November 18, 2026, 10:00 in New York: a
// business day before the cut-off.
const payToday = "2026-11-18"

func startPayments(t *testing.T, d *db.DB) *payFixture {
	t.Helper()
	env := newPayEnv(t)
	s := startServe(t, d, env.serve)
	s.setClock(payToday, 10, 0)
	f := &payFixture{s: s, d: d, env: env, pay: env.paymentsFor(t, d)}
	f.a, f.b = seedLogin(t, s, "Ada"), seedLogin(t, s, "Bo")
	f.aLoan, f.bLoan = contractOf(t, d, f.a.id), contractOf(t, d, f.b.id)
	ctx := context.Background()
	f.bBank = f.confirmedBank(f.b.id, "129083018", "55501234")
	var err error
	f.bPay, err = f.pay.Pay(ctx, f.b.id, payments.OneTime{ContractID: f.bLoan, MethodID: f.bBank.ID, Choice: payments.PayOther, Other: "75.00",
		Date: calendar.MustParse("2026-12-01"), IdempotencyKey: "b-1"})
	if err != nil {
		t.Fatal(err)
	}
	terms, err := f.pay.AutopayTerms(ctx, f.b.id, payments.AutopayRequest{ContractID: f.bLoan, MethodID: f.bBank.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.pay.EnrolAutopay(ctx, f.b.id, payments.AutopayRequest{ContractID: f.bLoan, MethodID: f.bBank.ID, Accepted: true,
		Version: terms.Version}); err != nil {
		t.Fatal(err)
	}
	f.aBrows = s.browser("198.51.100.60")
	f.aBrows.mustSignIn(f.a.email, testPassword)
	return f
}

func contractOf(t testing.TB, d *db.DB, customerID int64) int64 {
	t.Helper()
	var id int64
	if err := d.Read.QueryRow(`SELECT id FROM contracts WHERE customer_id = $1`, customerID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// confirmedBank adds a bank account and confirms it by its two
// micro-deposits, sent in a NACHA file.
func (f *payFixture) confirmedBank(customerID int64, routing, account string) payments.Method {
	f.s.t.Helper()
	ctx := context.Background()
	m, err := f.pay.AddBankAccount(ctx, customerID, payments.NewBankAccount{HolderName: "Pat Quinn", AccountType: "checking", Routing: routing,
		Account: account, ConfirmAccount: account})
	if err != nil {
		f.s.t.Fatal(err)
	}
	f.sendFile()
	a, b := f.micro(m.ID)
	if m, err = f.pay.ConfirmMicroDeposits(ctx, customerID, m.ID, a, b); err != nil {
		f.s.t.Fatal(err)
	}
	return m
}

// confirmedBanks gives each customer a checking account (55501234 + its
// place in customers) confirmed by its micro-deposits, all sent in one
// ACH file, for the tests that run carfin in processes of its own; it
// returns the methods' ids in order.
func confirmedBanks(t testing.TB, pay *payments.Service, d *db.DB, customers ...int64) []int64 {
	t.Helper()
	ctx := context.Background()
	ids := make([]int64, len(customers))
	for i, c := range customers {
		acct := fmt.Sprint(55501234 + i)
		m, err := pay.AddBankAccount(ctx, c, payments.NewBankAccount{HolderName: "Kim Test", AccountType: "checking",
			Routing: "129083018", Account: acct, ConfirmAccount: acct})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = m.ID
	}
	if _, err := pay.OriginateACH(ctx, calendar.OnOrAfterBusinessDay(pay.Config().Cutoff.Today(d.Now()))); err != nil {
		t.Fatal(err)
	}
	for i, c := range customers {
		var a, b int64
		if err := d.Read.QueryRow(`SELECT micro1_cents, micro2_cents FROM payment_methods WHERE id = $1`, ids[i]).Scan(&a, &b); err != nil {
			t.Fatal(err)
		}
		if _, err := pay.ConfirmMicroDeposits(ctx, c, ids[i], money.Cents(a), money.Cents(b)); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// aMethods gives customer A what the methods pages add (a confirmed
// checking account at Prairie Gate Savings Bank ••••6789 and a Visa
// ••••4242, "Travel") through the service, so that the pages that use
// them do not depend on the methods test running first.
func (f *payFixture) aMethods(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	f.confirmedBank(f.a.id, "112601818", "000123456789")
	proc, ok := f.pay.Config().Processor.(*cardtest.Processor)
	if !ok {
		t.Fatal("the test card processor is not configured")
	}
	tok, err := proc.Tokenize(cardtest.Card{Number: "4242424242424242", ExpMonth: 9, ExpYear: time.Now().Year() + 2, CVC: "123", Name: "Ada Quinn"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.pay.AddCard(ctx, f.a.id, tok.Token, "Travel", ""); err != nil {
		t.Fatal(err)
	}
}

// sendFile writes today's NACHA file (micro-deposits and due debits).
func (f *payFixture) sendFile() {
	f.s.t.Helper()
	cut := f.pay.Config().Cutoff
	if _, err := f.pay.OriginateACH(context.Background(), calendar.OnOrAfterBusinessDay(cut.Today(f.d.Now()))); err != nil {
		f.s.t.Fatal(err)
	}
}

func (f *payFixture) micro(methodID int64) (money.Cents, money.Cents) {
	f.s.t.Helper()
	var a, b money.Cents
	if err := f.d.Read.QueryRow(`SELECT micro1_cents, micro2_cents FROM payment_methods WHERE id = $1`, methodID).Scan(&a, &b); err != nil {
		f.s.t.Fatal(err)
	}
	return a, b
}

func (f *payFixture) count(query string, args ...any) int {
	f.s.t.Helper()
	var n int
	if err := f.d.Read.QueryRow(query, args...).Scan(&n); err != nil {
		f.s.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// written counts what a customer has in the payments tables, to check
// that a refused form wrote nothing.
func (f *payFixture) written(customerID int64) string {
	return fmt.Sprintf("methods %d, payments %d, autopay %d, outbox %d",
		f.count(`SELECT count(*) FROM payment_methods WHERE customer_id = $1`, customerID),
		f.count(`SELECT count(*) FROM payments WHERE customer_id = $1`, customerID),
		f.count(`SELECT count(*) FROM autopay_enrolments WHERE customer_id = $1`, customerID),
		f.count(`SELECT count(*) FROM outbox`))
}

var (
	keyRE  = regexp.MustCompile(`name="key" value="([A-Za-z0-9_-]+)"`)
	confRE = regexp.MustCompile(`/payments/(P[0-9A-Z]{8})`)
)

// TestPortalPayments runs the page tests, each on a server and database
// of its own (per engine), so that none depends on what another did
// before it: each runs alone, in any order, or in parallel.
func TestPortalPayments(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		run  func(*testing.T, *payFixture)
	}{
		{"methods", paymentMethodPages},
		{"one-time", oneTimePages},
		{"authorization", paymentsAuthorization},
		{"autopay", autopayPages},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dbtest.Each(t, func(t *testing.T, d *db.DB) { tc.run(t, startPayments(t, d)) })
		})
	}
}

// paymentMethodPages: a bank account refused field by field, then added
// and confirmed by its micro-deposits; a card through the test
// tokenizer (the number never reaches the portal); re-authentication.
func paymentMethodPages(t *testing.T, f *payFixture) {
	s, a := f.s, f.aBrows
	a.get("/payment-methods").must(t, 200, "You have no payment methods yet", `href="/payment-methods/bank/new"`, `href="/payment-methods/card/new"`)
	a.get("/payment-methods/bank/new").must(t, 200, `name="routing"`, `name="confirm_account"`, `autocomplete="off"`)

	good := url.Values{"holder": {"Ada Quinn"}, "account_type": {"checking"}, "routing": {"112601818"}, "account": {"000123456789"},
		"confirm_account": {"000123456789"}, "validation": {"microdeposits"}}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for kk, vv := range good {
			f[kk] = vv
		}
		f.Set(k, v)
		return f
	}
	before := f.written(f.a.id)
	for _, tc := range []struct {
		name, field, message string
		form                 url.Values
	}{
		{"routing check digit", "routing", "This routing number is not valid", with("routing", "112601819")},
		{"routing length", "routing", "Enter the 9-digit routing number", with("routing", "11260181")},
		{"routing letters", "routing", "Enter the 9-digit routing number", with("routing", "11260181x")},
		{"routing not in the directory", "routing", "We do not know a bank with this routing number", with("routing", "221987601")},
		{"account too short", "account", "4 to 17 digits", with("account", "123")},
		{"account too long", "account", "4 to 17 digits", with("account", "123456789012345678")},
		{"account letters", "account", "4 to 17 digits", with("account", "12345abc")},
		{"mismatched entries", "confirm_account", "The two account numbers do not match", with("confirm_account", "000123456788")},
		{"no holder", "holder", "Enter the name on the account", with("holder", " ")},
		{"holder too long", "holder", "at most 22 characters", with("holder", strings.Repeat("x", 23))},
		{"account type", "account_type", "Choose checking or savings", with("account_type", "brokerage")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := a.post("/payment-methods/bank", tc.form)
			r.must(t, 422, `id="`+tc.field+`-error"`, tc.message, `class="error-summary"`, `href="#`+tc.field+`"`)
			if tc.field != "account_type" && !strings.Contains(r.body, `aria-invalid="true"`) {
				t.Error("the field is not marked invalid")
			}
			if strings.Contains(r.body, tc.form.Get("account")) {
				t.Errorf("the account number is shown again")
			}
			if got := f.written(f.a.id); got != before {
				t.Errorf("written: %s, was %s", got, before)
			}
		})
	}

	// Added: pending until the two deposits are confirmed.
	r := a.post("/payment-methods/bank", good)
	r.must(t, 200, "The bank account was added", "Checking at Prairie Gate Savings Bank ••••6789", "Two small deposits")
	if !strings.HasPrefix(r.url, "/payment-methods?notice=bank_added") {
		t.Errorf("after adding at %s", r.url)
	}
	a.post("/payment-methods/bank", good).must(t, 422, `id="account-error"`, "already one of your payment methods")
	if s.count("payment_method.added", f.a.email) != 1 {
		t.Errorf("alerts: %v", s.mail(f.a.email))
	}
	var bank int64
	if err := f.d.Read.QueryRow(`SELECT id FROM payment_methods WHERE customer_id = $1`, f.a.id).Scan(&bank); err != nil {
		t.Fatal(err)
	}
	verify := "/payment-methods/" + itoa(bank) + "/verify"
	a.get(verify).must(t, 200, "will reach this account")
	a.post(verify, url.Values{"first": {"0.10"}, "second": {"0.20"}}).must(t, 409, "have not been sent yet")
	f.sendFile()
	one, two := f.micro(bank)
	a.get("/payment-methods").must(t, 200, "Confirm the deposits", "3 tries left")
	a.get(verify).must(t, 200, `name="first"`, "You have 3 tries")
	a.post(verify, url.Values{"first": {"abc"}, "second": {"1.50"}}).must(t, 422, `id="first-error"`, `id="second-error"`, "under $1.00")
	wrong := one + 1
	if wrong == two || wrong >= 100 {
		wrong = one - 1
	}
	a.post(verify, url.Values{"first": {wrong.String()}, "second": {two.String()}}).must(t, 422, "do not match", "You have 2 tries")
	a.post(verify, url.Values{"first": {two.String()}, "second": {"$" + one.String()}}).must(t, 200, "the bank account is confirmed")
	a.get("/payment-methods").must(t, 200, "Ready to use")

	// A card: the form posts to the tokenizer, which redirects back with
	// a token; the portal saves the token.
	c := a.get("/payment-methods/card/new")
	c.must(t, 200, `action="/cardtest/tokens"`, `name="redirect_uri" value="`+s.base+`/payment-methods/card/new"`, `autocomplete="cc-number"`)
	tokenize := func(number string) response {
		return a.post("/cardtest/tokens", url.Values{"number": {number}, "exp_month": {"09"}, "exp_year": {fmt.Sprint(time.Now().Year() + 2)},
			"cvc": {"123"}, "redirect_uri": {s.base + "/payment-methods/card/new"}})
	}
	tokenize("4242 4242 4242 4241").must(t, 422, `id="number-error"`, "This card number is not valid")
	saved := tokenize("4242 4242 4242 4242")
	saved.must(t, 200, "Save this card", "Visa ••••4242, expires 09/", `name="token" value="tok_test_`)
	if !strings.Contains(saved.url, "card_token=") {
		t.Errorf("the tokenizer did not come back with a token: %s", saved.url)
	}
	token := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(saved.body)[1]
	a.post("/payment-methods/card", url.Values{"token": {token + "x"}}).must(t, 422, "could not read the card")
	a.post("/payment-methods/card", url.Values{"token": {token}, "nickname": {"Travel"}}).must(t, 200, "The card was added", "Visa ••••4242")
	a.post("/payment-methods/card", url.Values{"token": {token}}).must(t, 422, "already one of your payment methods")
	a.get("/payment-methods/card/new?card_token=forged").must(t, 422, "could not read the card")
	if strings.Contains(s.logs.String(), "4242424242424242") || strings.Contains(s.logs.String(), "4242 4242") {
		t.Error("a card number reached the logs")
	}

	// Adding or removing a method needs a password within five minutes.
	s.clock.Add(6 * time.Minute)
	r = a.get("/payment-methods/bank/new")
	if !strings.HasPrefix(r.url, "/reauth") {
		t.Fatalf("adding a bank account 6 minutes after sign-in: %s", r.url)
	}
	before = f.written(f.a.id)
	if r := a.post("/payment-methods/bank", with("account", "99887766")); !strings.HasPrefix(r.url, "/reauth") {
		t.Errorf("posted without a recent password: %s", r.url)
	}
	if r := a.post("/payment-methods/card", url.Values{"token": {token}}); !strings.HasPrefix(r.url, "/reauth") {
		t.Errorf("card posted without a recent password: %s", r.url)
	}
	if got := f.written(f.a.id); got != before {
		t.Errorf("written without a recent password: %s, was %s", got, before)
	}
	a.post("/reauth", url.Values{"password": {testPassword}, "next": {"/payment-methods/bank/new"}}).must(t, 200, "Add a bank account")

	// A second card, removed: not with a stale password, then after one;
	// the customer is alerted and the card is gone from the list.
	spare := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(tokenize("5555 5555 5555 4444").body)[1]
	a.post("/payment-methods/card", url.Values{"token": {spare}}).must(t, 200, "The card was added", "Mastercard ••••4444")
	var spareID int64
	if err := f.d.Read.QueryRow(`SELECT id FROM payment_methods WHERE customer_id = $1 AND last4 = '4444'`, f.a.id).Scan(&spareID); err != nil {
		t.Fatal(err)
	}
	remove := "/payment-methods/" + itoa(spareID) + "/remove"
	alerts := s.count("payment_method.removed", f.a.email)
	s.clock.Add(6 * time.Minute)
	if r := a.post(remove, nil); !strings.HasPrefix(r.url, "/reauth") {
		t.Errorf("removed without a recent password: %s", r.url)
	}
	a.get("/payment-methods").must(t, 200, "Mastercard ••••4444")
	a.post("/reauth", url.Values{"password": {testPassword}, "next": {remove}}).must(t, 200, "Remove")
	a.post(remove, nil).must(t, 200, "The payment method was removed")
	a.get("/payment-methods").mustNot(t, "••••4444")
	if s.count("payment_method.removed", f.a.email) != alerts+1 {
		t.Error("no alert about the removed method")
	}
}

// oneTimePages: the payment form, every kind of bad input refused next to
// its field with nothing written, the review, a double submit making one
// payment, the confirmation with its receipt (also emailed), a change, a
// cancellation, and both refused after the cut-off of the business day
// before the payment.
func oneTimePages(t *testing.T, f *payFixture) {
	s, a := f.s, f.aBrows
	ctx := context.Background()
	f.aMethods(t)
	ms, _ := f.pay.Methods(ctx, f.a.id)
	var bank, card int64
	for _, m := range ms {
		if m.Kind == payments.KindBank {
			bank = m.ID
		} else {
			card = m.ID
		}
	}
	if bank == 0 || card == 0 {
		t.Fatalf("methods %+v", ms)
	}
	o, err := f.pay.Options(ctx, f.a.id, f.aLoan)
	if err != nil {
		t.Fatal(err)
	}
	pay := "/contracts/" + itoa(f.aLoan) + "/pay"
	if r := a.get("/pay"); r.url != pay { // one open contract: straight to its form
		t.Errorf("/pay ends at %s", r.url)
	}
	form := a.get(pay)
	// Worked by hand: $20,000 at 6.99 % over 60 months from January 15,
	// 2026 is $395.93 a month; on November 18 the ten installments of
	// February 15 – November 15 are unpaid ($3,959.30 past due) with nine
	// $25 late fees (November's grace runs to the 25th); due by December
	// 15: eleven installments and the fees, $4,580.23. The payoff: $20,000
	// + 307 days' interest ($1,175.85) + $225 fees = $21,400.85.
	if o.AmountDueCents != 458023 || o.PastDueCents != 395930 || o.PayoffCents != 2140085 {
		t.Errorf("options: due %d, past due %d, payoff %d", o.AmountDueCents, o.PastDueCents, o.PayoffCents)
	}
	form.must(t, 200, "Amount due", "Past-due amount", "Payoff amount", "Another amount", "$4,580.23", "$3,959.30", "$21,400.85",
		"Checking at Prairie Gate Savings Bank ••••6789", "Visa ••••4242", "Today, November 18, 2026", "5:00 PM EST", `<option value="2026-12-18"`)
	if strings.Contains(form.body, `value="2026-11-21"`) || strings.Contains(form.body, `value="2026-11-26"`) {
		t.Error("a Saturday or Thanksgiving is offered")
	}

	ok := url.Values{"amount": {"other"}, "other": {"100.00"}, "method": {itoa(bank)}, "date": {"2026-12-02"}}
	with := func(kv ...string) url.Values {
		v := url.Values{}
		for k, vv := range ok {
			v[k] = vv
		}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	before := f.written(f.a.id)
	for _, tc := range []struct {
		name, field, message string
		form                 url.Values
	}{
		{"three decimals", "other", "at most two digits after the point", with("other", "100.005")},
		{"negative", "other", "more than $0.00", with("other", "-5")},
		{"zero", "other", "more than $0.00", with("other", "0")},
		{"huge", "other", "more than you owe", with("other", "99999999.99")},
		{"out of range", "other", "more than you owe", with("other", "999999999999999999999")},
		{"not a number", "other", "as a number", with("other", "abc")},
		{"empty", "other", "Enter the amount you want to pay", with("other", "")},
		{"European decimal comma", "other", "as a number", with("other", "100,00")},
		{"another customer's method", "method", "Choose one of your payment methods", with("method", itoa(f.bBank.ID))},
		{"no such method", "method", "Choose one of your payment methods", with("method", "987654321")},
		{"method not a number", "method", "Choose one of your payment methods", with("method", "x")},
		{"a Saturday", "date", "Choose a payment date", with("date", "2026-11-21")},
		{"after the latest date", "date", "Choose a payment date", with("date", "2027-01-04")},
		{"in the past", "date", "Choose a payment date", with("date", "2026-11-17")},
		{"not a date", "date", "Choose a payment date", with("date", "tomorrow")},
		{"amount choice", "amount", "Choose how much to pay", with("amount", "everything")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, r := range []response{a.get(pay + "/review?" + tc.form.Encode()), a.post(pay, with(append(flatten(tc.form), "key", "k-"+tc.name)...))} {
				r.must(t, 422, `id="`+tc.field+`-error"`, tc.message, `class="error-summary"`)
			}
			if got := f.written(f.a.id); got != before {
				t.Errorf("written: %s, was %s", got, before)
			}
		})
	}
	// Thousands separators are read as people type them.
	a.get(pay+"/review?"+with("other", "1,000.00").Encode()).must(t, 200, "Confirm the payment of $1,000.00")

	// Review, then confirm twice (a double click, then a reload of the
	// form post): one payment, one confirmation page.
	rev := a.get(pay + "/review?" + ok.Encode())
	rev.must(t, 200, "Review your payment", "$100.00", "December 2, 2026", "Checking at Prairie Gate Savings Bank ••••6789",
		"You can change or cancel it until December 1, 2026 at 5:00 PM EST", "Confirm the payment of $100.00")
	key := keyRE.FindStringSubmatch(rev.body)[1]
	confirm := with("key", key)
	var wg sync.WaitGroup
	got := make([]response, 3)
	for i := range 2 {
		wg.Add(1)
		go func() { defer wg.Done(); got[i] = a.post(pay, confirm) }()
	}
	wg.Wait()
	got[2] = a.post(pay, confirm)
	for _, r := range got {
		r.must(t, 200, "Thank you: your payment is confirmed", "Scheduled for December 2, 2026", "Download the receipt (PDF)")
		if r.url != got[0].url {
			t.Errorf("confirmations differ: %s, %s", r.url, got[0].url)
		}
	}
	if n := f.count(`SELECT count(*) FROM payments WHERE customer_id = $1`, f.a.id); n != 1 {
		t.Fatalf("%d payments after a double submit", n)
	}
	conf := confRE.FindStringSubmatch(got[0].url)[1]
	page := "/payments/" + conf
	a.get(page).must(t, 200, "Payment "+conf, "You can change or cancel this payment until December 1, 2026 at 5:00 PM EST", page+"/edit", page+"/cancel")
	receipt := a.get(page + "/receipt.pdf")
	receipt.must(t, 200)
	if receipt.header.Get("Content-Type") != "application/pdf" || !strings.Contains(receipt.header.Get("Content-Disposition"), "receipt-"+conf+".pdf") {
		t.Errorf("receipt headers %v", receipt.header)
	}
	validatePDF(t, []byte(receipt.body))
	// The receipt is also among the customer's documents, downloaded from
	// the payment's own address.
	docs := a.get("/documents")
	docs.must(t, 200, "Payment receipt "+conf+" ($100.00)", `href="`+page+`/receipt.pdf" download`, "Receipt · ")
	a.lang = "es"
	a.get("/documents").must(t, 200, "Recibo de pago "+conf+" ($100.00)", "Recibo · ")
	a.lang = ""
	var mailed bool
	for _, m := range s.mail(f.a.email) {
		if m.Message.Kind == "payment.scheduled" && strings.Contains(m.Message.Subject, conf) {
			mailed = len(m.Message.Attachments) == 1 && m.Message.Attachments[0].Name == "receipt-"+conf+".pdf"
		}
	}
	if !mailed {
		t.Errorf("no receipt emailed with the confirmation: %v", s.mail(f.a.email))
	}

	// Change it (errors next to the fields), then cancel it.
	a.get(page+"/edit").must(t, 200, "Change a payment", `value="100.00"`, `value="2026-12-02" selected`)
	a.post(page+"/edit", with("other", "150.555")).must(t, 422, `id="other-error"`, "at most two digits")
	a.post(page+"/edit", with("other", "150.00", "date", "2026-12-03")).must(t, 200, "The payment was changed", "$150.00", "December 3, 2026")
	a.get("/payments").must(t, 200, "Scheduled payments", "$150.00", "December 3, 2026", page+"/cancel")
	// The dashboard shows it as the contract's next payment, until cancelled.
	a.get("/").must(t, 200, "Next payment", "$150.00", "scheduled for December 3, 2026")
	a.get(page+"/cancel").must(t, 200, "Cancel the payment of $150.00", "Yes, cancel the payment")
	a.post(page+"/cancel", nil).must(t, 200, "The payment was cancelled", "Cancelled by you")
	home := a.get("/")
	home.must(t, 200, "Next payment")
	if strings.Contains(home.body, "scheduled for December 3, 2026") {
		t.Error("the dashboard still shows the cancelled payment as the next one")
	}
	a.post(page+"/cancel", nil).must(t, 409, "can no longer be changed")

	// A card payment today is charged at once; a declined card charges
	// nothing and says why.
	r := a.get(pay + "/review?" + url.Values{"amount": {"due"}, "method": {itoa(card)}}.Encode())
	r.must(t, 200, "When you confirm, we charge", "Visa ••••4242")
	r = a.post(pay, url.Values{"amount": {"due"}, "method": {itoa(card)}, "date": {payToday}, "key": {keyRE.FindStringSubmatch(r.body)[1]}})
	r.must(t, 200, "Thank you", "Completed.")
	cardConf := confRE.FindStringSubmatch(r.url)[1]
	tok, err := cardtestToken(f, "4000000000009995")
	if err != nil {
		t.Fatal(err)
	}
	declining, err := f.pay.AddCard(ctx, f.a.id, tok, "", "")
	if err != nil {
		t.Fatal(err)
	}
	r = a.post(pay, url.Values{"amount": {"other"}, "other": {"20.00"}, "method": {itoa(declining.ID)}, "date": {payToday}, "key": {"declined-1"}})
	r.must(t, 402, "Your card was declined for insufficient funds. Nothing was charged.", "Review your payment")
	hub := a.get("/payments")
	hub.must(t, 200, "Payment history", `<span class="status status-ok">Completed</span>`,
		`<span class="status status-bad">Declined</span> The card has insufficient funds.`, "/payments/"+cardConf)
	hub.mustNot(t, "Declined: ", "Declined</span>: ")

	// After the cut-off of the business day before a payment, it can no
	// longer be changed or cancelled: refused in words, nothing changed.
	late, err := f.pay.Pay(ctx, f.a.id, payments.OneTime{ContractID: f.aLoan, MethodID: bank, Choice: payments.PayOther, Other: "40.00",
		Date: calendar.MustParse("2026-11-20"), IdempotencyKey: "late"})
	if err != nil {
		t.Fatal(err)
	}
	s.setClock("2026-11-19", 17, 1)
	a = s.browser("198.51.100.61")
	a.mustSignIn(f.a.email, testPassword)
	f.aBrows = a
	lp := "/payments/" + late.Confirmation
	a.get(lp).must(t, 200, "Scheduled for November 20, 2026")
	if strings.Contains(a.get(lp).body, lp+"/cancel") {
		t.Error("a locked payment offers a cancel link")
	}
	a.get(lp+"/cancel").must(t, 409, "goes out on November 20, 2026", "can no longer be changed or cancelled online")
	a.post(lp+"/cancel", nil).must(t, 409, "can no longer be changed")
	a.post(lp+"/edit", url.Values{"amount": {"other"}, "other": {"1.00"}, "method": {itoa(bank)}, "date": {"2026-11-20"}}).must(t, 409, "can no longer be changed")
	if p, _ := f.pay.Payment(ctx, f.a.id, late.ID); p.Status != payments.StatusScheduled || p.AmountCents != money.MustParse("40") {
		t.Errorf("the locked payment changed: %+v", p)
	}

	// It goes out, and the bank returns it: the history says why, and what
	// happens now, in plain words.
	s.setClock("2026-11-20", 18, 0)
	if _, err := f.pay.OriginateACH(ctx, calendar.MustParse("2026-11-20")); err != nil {
		t.Fatal(err)
	}
	var trace string
	var settles calendar.Date
	if err := f.d.Read.QueryRow(`SELECT trace_number, settles_on FROM payments WHERE id = $1`, late.ID).Scan(&trace, &settles); err != nil {
		t.Fatal(err)
	}
	// Inside the return window the history says the payment may still
	// come back, and until when.
	hist := "/contracts/" + itoa(late.ContractID) + "/history"
	h := s.browser("198.51.100.64")
	h.mustSignIn(f.a.email, testPassword)
	h.get(hist).must(t, 200, "pending: final after "+locale.Date("en", settles)+" unless your bank returns it")
	s.setClock("2026-11-23", 10, 0)
	if _, err := f.pay.ImportReturns(ctx, "returns.csv", []byte("trace_number,code,corrected_data\n"+trace+",R01,\n")); err != nil {
		t.Fatal(err)
	}
	a = s.browser("198.51.100.65")
	a.mustSignIn(f.a.email, testPassword)
	f.aBrows = a
	a.get("/payments").must(t, 200, `<span class="status status-bad">Returned</span> Your bank returned the payment because the account did not have enough money.`,
		"The returned-payment fee in your contract was charged.")
	a.get(lp).must(t, 200, "Returned. Your bank returned the payment because the account did not have enough money.", `class="callout warn"`)
	hr := a.get(hist)
	hr.must(t, 200, `<span class="status status-bad">returned</span>`, "Payment returned by your bank (owed again)")
	hr.mustNot(t, "pending: final after")

	// Spanish.
	a.lang = "es"
	a.get(pay).must(t, 200, "Hacer un pago", "Monto a pagar", "Cuenta de cheques en Prairie Gate Savings Bank ••••6789")
	a.get("/payments").must(t, 200, "Pagos programados", "Historial de pagos", `<span class="status status-bad">Rechazado</span> La tarjeta no tiene fondos suficientes.`,
		`<span class="status status-bad">Devuelto</span>`, "la cuenta no tenía fondos suficientes", "Se cobró el cargo por pago devuelto de su contrato.")
	a.lang = ""
}

// autopayPages: enrolment through the authorization (refused without
// the box ticked), change, the reminder setting, a method in use refused
// removal, a stop, and a stop after the debit is set (it still goes out,
// in words).
func autopayPages(t *testing.T, f *payFixture) {
	s, a := f.s, f.aBrows
	ctx := context.Background()
	f.aMethods(t)
	var bank int64
	if err := f.d.Read.QueryRow(`SELECT id FROM payment_methods WHERE customer_id = $1 AND kind = 'bank'`, f.a.id).Scan(&bank); err != nil {
		t.Fatal(err)
	}
	ap := "/contracts/" + itoa(f.aLoan) + "/autopay"
	a.get(ap).must(t, 200, "Turn on autopay", "Your installment ($", "On the due date", "10 days before the due date", "Remind me before each debit")
	ok := url.Values{"method": {itoa(bank)}, "extra_choice": {"extra"}, "extra": {"25.00"}, "days": {"2"}}
	with := func(k, v string) url.Values {
		x := url.Values{}
		for kk, vv := range ok {
			x[kk] = vv
		}
		x.Set(k, v)
		return x
	}
	before := f.written(f.a.id)
	for _, tc := range []struct {
		name, field, message string
		form                 url.Values
	}{
		{"extra with three decimals", "extra", "in dollars and cents", with("extra", "1.234")},
		{"negative extra", "extra", "in dollars and cents", with("extra", "-5")},
		{"days out of range", "days", "Choose when the debit is made", with("days", "11")},
		{"days not a number", "days", "Choose when the debit is made", with("days", "soon")},
		{"another customer's account", "method", "Choose one of your bank accounts", with("method", itoa(f.bBank.ID))},
		{"start in the past", "start", "Enter a start date", with("start", "2020-01-01")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a.get(ap+"/review?"+tc.form.Encode()).must(t, 422, `id="`+tc.field+`-error"`, tc.message)
			accepted := url.Values{"accept": {"on"}, "version": {payments.AuthorizationVersion}}
			for k, v := range tc.form {
				accepted[k] = v
			}
			a.post(ap, accepted).must(t, 422, `id="`+tc.field+`-error"`, tc.message)
			if got := f.written(f.a.id); got != before {
				t.Errorf("written: %s, was %s", got, before)
			}
		})
	}
	rev := a.get(ap + "/review?" + ok.Encode())
	rev.must(t, 200, "Review the autopay authorization", "I authorize Northwind Motor Finance to debit my checking account ••••6789",
		"plus $25.00 more each time", "2 days before each due date", "Version "+payments.AuthorizationVersion, `name="accept"`)
	post := with("version", payments.AuthorizationVersion)
	a.post(ap, post).must(t, 422, `id="accept-error"`, "tick the box")
	if got := f.written(f.a.id); got != before {
		t.Errorf("enrolled without acceptance: %s", got)
	}
	post.Set("accept", "on")
	on := a.post(ap, post)
	on.must(t, 200, "Autopay is on", "Your installment ($", "plus $25.00", "2 days before the due date", "Accepted November", "version "+payments.AuthorizationVersion)
	var text, version string
	var at time.Time
	if err := f.d.Read.QueryRow(`SELECT authorization_text, authorization_version, authorized_at FROM autopay_enrolments WHERE customer_id = $1 AND status = 'active'`,
		f.a.id).Scan(&text, &version, &at); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rev.body, strings.Split(text, "\n")[0][:60]) || version != payments.AuthorizationVersion || !at.Equal(f.d.Now()) {
		t.Errorf("stored authorization: %q %s %s", text[:60], version, at)
	}
	if s.count("autopay.enrolled", f.a.email) != 1 {
		t.Error("no copy of the authorization emailed")
	}
	a.post(ap, post).must(t, 422, "Autopay is already on")
	// The dashboard shows autopay's next debit: the installment plus the
	// extra, two days before the next due date.
	a.get("/").must(t, 200, "Next payment", "by autopay on")

	// Change: a new authorization.
	a.get(ap+"/change").must(t, 200, "Change your autopay", `value="25.00"`, `<option value="2" selected>`)
	ch := url.Values{"method": {itoa(bank)}, "extra_choice": {"none"}, "days": {"0"}, "change": {"1"}}
	a.get(ap+"/review?"+ch.Encode()).must(t, 200, "on each due date", "Accept and save the change")
	ch.Set("accept", "on")
	ch.Set("version", payments.AuthorizationVersion)
	a.post(ap+"/change", ch).must(t, 200, "Autopay was changed", "On the due date")

	// The account pays autopay: it cannot be removed.
	a.post("/payment-methods/"+itoa(bank)+"/remove", nil).must(t, 409, "pays your autopay or a scheduled payment")

	// The reminder setting is the customer's due reminder.
	a.post("/autopay/reminders", url.Values{"reminder": {"2"}, "next": {ap}}).must(t, 200, "Your reminder setting was saved", `<option value="2" selected>2 days before`)
	if n, _ := preferences.ReminderDays(ctx, f.d.Read, f.a.id); n != 2 {
		t.Errorf("reminder days %d", n)
	}
	a.post("/autopay/reminders", url.Values{"reminder": {"0"}, "next": {ap}}).must(t, 200, `<option value="0" selected>No reminders`)
	if n, _ := preferences.ReminderDays(ctx, f.d.Read, f.a.id); n != 0 {
		t.Errorf("reminder days %d after off", n)
	}
	a.post("/autopay/reminders", url.Values{"reminder": {"16"}, "next": {ap}}).must(t, 422, "1 to 15 days")
	a.post("/autopay/reminders", url.Values{"reminder": {"3"}, "next": {"https://evil.example/"}}).must(t, 200)

	// Stop.
	a.get(ap+"/stop").must(t, 200, "Stop autopay for account", "will not be made", "Yes, stop autopay")
	a.post(ap+"/stop", nil).must(t, 200, "Autopay is stopped", "Turn on autopay")

	// Enrol again and let the debit be set (three business days before
	// it): a stop then says that this debit still goes out.
	ap2 := f.pay
	terms, err := ap2.AutopayTerms(ctx, f.a.id, payments.AutopayRequest{ContractID: f.aLoan, MethodID: bank})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ap2.EnrolAutopay(ctx, f.a.id, payments.AutopayRequest{ContractID: f.aLoan, MethodID: bank, Accepted: true, Version: terms.Version}); err != nil {
		t.Fatal(err)
	}
	debit := terms.FirstDebit.Date
	lock := calendar.AddBusinessDays(debit, -3)
	s.setClock(lock.String(), 18, 0)
	if _, err := ap2.RunDay(ctx, lock); err != nil {
		t.Fatal(err)
	}
	a = s.browser("198.51.100.62")
	a.mustSignIn(f.a.email, testPassword)
	f.aBrows = a
	amount := dollars(terms.FirstDebit.AmountCents)
	a.get(ap+"/stop").must(t, 200, "is already set and will still go out", amount)
	r := a.post(ap+"/stop", nil)
	r.must(t, 200, "Autopay is stopped", "A debit of "+amount+" on "+longDate(debit), "will still go out")
	a.lang = "es"
	a.get(ap).must(t, 200, "Pago automático", "se hará de todos modos", "Recordatorios")
	a.lang = ""
}

// paymentsAuthorization: every payments route, asked by customer A for B's
// contract, payment, receipt or payment method, answers 404 exactly as
// for one that does not exist and shows nothing of B's; nothing of B's
// changes; and every route sends someone signed out to sign in.
func paymentsAuthorization(t *testing.T, f *payFixture) {
	s := f.s
	a := s.browser("198.51.100.63")
	a.mustSignIn(f.a.email, testPassword)
	bc, bConf, bm := itoa(f.bLoan), f.bPay.Confirmation, itoa(f.bBank.ID)
	const missing = "987654321"
	const missingConf = "PZZZZZZZZ"
	payForm := url.Values{"amount": {"other"}, "other": {"10.00"}, "method": {bm}, "date": {"2026-12-01"}, "key": {"x-1"}}
	apForm := url.Values{"method": {bm}, "extra_choice": {"none"}, "days": {"0"}, "accept": {"on"}, "version": {payments.AuthorizationVersion}}
	for _, tc := range []struct {
		name, method, path, missingPath string
		form                            url.Values
	}{
		{"payment form", "GET", "/contracts/" + bc + "/pay", "/contracts/" + missing + "/pay", nil},
		{"review", "GET", "/contracts/" + bc + "/pay/review?" + payForm.Encode(), "/contracts/" + missing + "/pay/review?" + payForm.Encode(), nil},
		{"confirm", "POST", "/contracts/" + bc + "/pay", "/contracts/" + missing + "/pay", payForm},
		{"payment", "GET", "/payments/" + bConf, "/payments/" + missingConf, nil},
		{"payment by a malformed number", "GET", "/payments/" + bConf + "0", "/payments/" + missingConf, nil},
		{"receipt", "GET", "/payments/" + bConf + "/receipt.pdf", "/payments/" + missingConf + "/receipt.pdf", nil},
		{"edit form", "GET", "/payments/" + bConf + "/edit", "/payments/" + missingConf + "/edit", nil},
		{"edit", "POST", "/payments/" + bConf + "/edit", "/payments/" + missingConf + "/edit", payForm},
		{"cancel page", "GET", "/payments/" + bConf + "/cancel", "/payments/" + missingConf + "/cancel", nil},
		{"cancel", "POST", "/payments/" + bConf + "/cancel", "/payments/" + missingConf + "/cancel", nil},
		{"verify page", "GET", "/payment-methods/" + bm + "/verify", "/payment-methods/" + missing + "/verify", nil},
		{"verify", "POST", "/payment-methods/" + bm + "/verify", "/payment-methods/" + missing + "/verify", url.Values{"first": {"0.10"}, "second": {"0.20"}}},
		{"remove page", "GET", "/payment-methods/" + bm + "/remove", "/payment-methods/" + missing + "/remove", nil},
		{"remove", "POST", "/payment-methods/" + bm + "/remove", "/payment-methods/" + missing + "/remove", nil},
		{"autopay", "GET", "/contracts/" + bc + "/autopay", "/contracts/" + missing + "/autopay", nil},
		{"autopay change form", "GET", "/contracts/" + bc + "/autopay/change", "/contracts/" + missing + "/autopay/change", nil},
		{"autopay review", "GET", "/contracts/" + bc + "/autopay/review?" + apForm.Encode(), "/contracts/" + missing + "/autopay/review?" + apForm.Encode(), nil},
		{"autopay enrol", "POST", "/contracts/" + bc + "/autopay", "/contracts/" + missing + "/autopay", apForm},
		{"autopay change", "POST", "/contracts/" + bc + "/autopay/change", "/contracts/" + missing + "/autopay/change", apForm},
		{"autopay stop page", "GET", "/contracts/" + bc + "/autopay/stop", "/contracts/" + missing + "/autopay/stop", nil},
		{"autopay stop", "POST", "/contracts/" + bc + "/autopay/stop", "/contracts/" + missing + "/autopay/stop", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := a.do(tc.method, tc.path, tc.form, nil)
			none := a.do(tc.method, tc.missingPath, tc.form, nil)
			if got.status != 404 || none.status != 404 {
				t.Fatalf("%s %s: %d (missing: %d), want 404\n%s", tc.method, tc.path, got.status, none.status, clip(got.body))
			}
			if samePage(got) != samePage(none) {
				t.Errorf("%s %s answers differently from a missing one", tc.method, tc.path)
			}
			for _, secret := range []string{bConf, "••••1234", "$75.00", "%PDF", "NW-T"} {
				if strings.Contains(samePage(got), secret) {
					t.Errorf("%s %s shows %q", tc.method, tc.path, secret)
				}
			}
		})
	}
	// Nothing of B's changed.
	ctx := context.Background()
	if p, err := f.pay.Payment(ctx, f.b.id, f.bPay.ID); err != nil || p.Status != payments.StatusScheduled || p.AmountCents != money.MustParse("75") {
		t.Errorf("B's payment: %+v %v", p, err)
	}
	if m, err := f.pay.Method(ctx, f.b.id, f.bBank.ID); err != nil || m.Status != payments.MethodActive {
		t.Errorf("B's method: %+v %v", m, err)
	}
	if ap, err := f.pay.Autopay(ctx, f.b.id, f.bLoan); err != nil || ap.Status != payments.AutopayActive || ap.ExtraCents != 0 {
		t.Errorf("B's autopay: %+v %v", ap, err)
	}
	if n := f.count(`SELECT count(*) FROM payments WHERE customer_id = $1`, f.b.id); n != 1 {
		t.Errorf("B has %d payments", n)
	}
	// A's pages list nothing of B's.
	for _, p := range []string{"/payments", "/payment-methods", "/pay", "/documents"} {
		if r := a.get(p); strings.Contains(r.body, bConf) || strings.Contains(r.body, "••••1234") {
			t.Errorf("%s shows B's payment or account", p)
		}
	}
	// Signed out, every route sends to the sign-in page.
	out := s.browser("198.51.100.64")
	for _, rt := range []struct{ method, path string }{
		{"GET", "/pay"}, {"GET", "/payments"}, {"GET", "/payment-methods"}, {"GET", "/payment-methods/bank/new"}, {"POST", "/payment-methods/bank"},
		{"GET", "/payment-methods/card/new"}, {"POST", "/payment-methods/card"}, {"POST", "/autopay/reminders"},
		{"GET", "/contracts/" + bc + "/pay"}, {"POST", "/contracts/" + bc + "/pay"}, {"GET", "/payments/" + bConf}, {"GET", "/payments/" + bConf + "/receipt.pdf"},
		{"POST", "/payments/" + bConf + "/cancel"}, {"POST", "/payment-methods/" + bm + "/remove"}, {"GET", "/contracts/" + bc + "/autopay"},
		{"POST", "/contracts/" + bc + "/autopay/stop"},
	} {
		r := out.do(rt.method, rt.path, url.Values{}, nil)
		if r.status != 200 || !strings.HasPrefix(r.url, "/login") {
			t.Errorf("signed out, %s %s ends at %d %s", rt.method, rt.path, r.status, r.url)
		}
	}
	// A cross-site form post is refused before any handler runs.
	r := a.do("POST", "/contracts/"+itoa(f.aLoan)+"/pay", payForm, http.Header{"Sec-Fetch-Site": {"cross-site"}})
	if r.status != 403 {
		t.Errorf("cross-site post: %d", r.status)
	}
}

// flatten turns a form into key, value pairs.
func flatten(v url.Values) []string {
	var out []string
	for k, vs := range v {
		for _, x := range vs {
			out = append(out, k, x)
		}
	}
	return out
}

func dollars(c money.Cents) string { return c.Grouped("$", ",", ".") }

func longDate(d calendar.Date) string { return d.Time().Format("January 2, 2006") }

// cardtestToken tokenizes a test card with the server's processor.
func cardtestToken(f *payFixture, number string) (string, error) {
	r := f.aBrows.post("/cardtest/tokens", url.Values{"number": {number}, "exp_month": {"10"}, "exp_year": {fmt.Sprint(time.Now().Year() + 2)}, "cvc": {"123"},
		"redirect_uri": {f.s.base + "/payment-methods/card/new"}})
	m := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(r.body)
	if m == nil {
		return "", fmt.Errorf("no token for %s: %s", number, clip(r.body))
	}
	return m[1], nil
}
