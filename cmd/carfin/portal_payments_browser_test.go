package main

import (
	"strings"
	"testing"

	"carfin/db"
	"carfin/db/dbtest"
	"carfin/internal/browsertest"
)

// TestBrowserPayments drives Chromium through the payments pages as a
// customer would: add a bank account and confirm its two micro-deposits,
// pay once from it, add a card through the test processor's tokenizer
// (the form posts the number to the tokenizer, which redirects back with a
// token) and pay with it, schedule a payment and cancel it, and enrol in
// autopay through the authorization. axe-core checks every page (WCAG 2.2
// A/AA) at 1280 and 375 px in English, then again in Spanish in a second
// browser; nothing is loaded from another origin; screenshots are kept as
// test artifacts. SQLite only: the HTTP tests cover both engines.
func TestBrowserPayments(t *testing.T) {
	dbtest.Each(t, browserPayments)
}

// browserPayments is the flow on one engine. The accessibility checks,
// phone widths and screenshots run on SQLite only: the pages are the
// same on both engines, and the browser's time is CI's.
func browserPayments(t *testing.T, d *db.DB) {
	f := startPayments(t, d)
	s := f.s
	loan := itoa(f.aLoan)
	full := d.Engine == db.SQLite

	var b *browsertest.Browser
	check := func(name string) {
		t.Helper()
		if !full {
			return
		}
		for _, w := range []int64{1280, 375} {
			b.Viewport(w, 900)
			for _, v := range b.Axe() {
				t.Errorf("%s at %d px: %s", name, w, v)
			}
			if w == 375 {
				// Only tables may scroll sideways, inside their own region.
				if over := browsertest.Eval[int](b, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); over > 0 {
					t.Errorf("%s at 375 px is %d px too wide", name, over)
				}
			}
			b.Screenshot(name + "-" + map[int64]string{1280: "desktop", 375: "phone"}[w])
		}
		b.Viewport(1280, 900)
		if n := browsertest.Eval[int](b, `performance.getEntriesByType('resource').filter(e => !e.name.startsWith(location.origin)).length`); n != 0 {
			t.Errorf("%s: %d third-party requests", name, n)
		}
	}
	main := func() string { t.Helper(); return b.Text("main") }
	wants := func(page string, texts ...string) {
		t.Helper()
		m := main()
		for _, x := range texts {
			if !strings.Contains(m, x) {
				t.Errorf("%s lacks %q: %.400s", page, x, m)
			}
		}
	}
	setSelect := func(sel, value string) {
		t.Helper()
		browsertest.Eval[bool](b, `(() => { document.querySelector('`+sel+`').value = '`+value+`'; return true })()`)
	}
	// tokenize fills the card form (on the page) and sends it to the
	// test tokenizer, which comes back with the card to save.
	tokenize := func(number string) {
		t.Helper()
		b.Fill("#number", number)
		setSelect("#exp-month", "12")
		setSelect("#exp-year", browsertest.Eval[string](b, `document.querySelector('#exp-year').options[3].value`))
		b.Fill("#cvc", "123")
		b.Click(`form[action="/cardtest/tokens"] button.primary`)
		b.WaitFor(`form[action="/payment-methods/card"]`)
	}
	// reviewOther fills the payment form with another amount from a
	// method and goes on to the review.
	reviewOther := func(amount, method string) {
		t.Helper()
		b.Go("/contracts/" + loan + "/pay")
		b.Click("#amount-other")
		b.Fill("#other", amount)
		b.Click("#method-" + method)
		b.Click(`form.pay-form button.primary`)
		b.WaitPath("/contracts/" + loan + "/pay/review")
	}
	signIn := func() {
		t.Helper()
		b.Go("/login")
		b.Fill("#email", f.a.email)
		b.Fill("#password", testPassword)
		b.Click(`form[action="/login"] button.primary`)
		b.WaitPath("/")
	}

	b = browsertest.Start(t, s.base)
	signIn()
	b.Click(`nav.nav-primary a[href="/payments"]`)
	b.WaitPath("/payments")
	check("payments-empty")

	// A bank account: first with the account number mistyped.
	b.Go("/payment-methods")
	check("methods-empty")
	b.Click(`a[href="/payment-methods/bank/new"]`)
	b.WaitPath("/payment-methods/bank/new")
	b.Fill("#routing", "112601818")
	b.Fill("#account", "000123456789")
	b.Fill("#confirm_account", "000123456788")
	b.Click(`form[action="/payment-methods/bank"] button.primary`)
	b.WaitFor("#confirm_account-error")
	check("bank-error")
	b.Fill("#account", "000123456789")
	b.Fill("#confirm_account", "000123456789")
	b.Click(`form[action="/payment-methods/bank"] button.primary`)
	b.WaitPath("/payment-methods")
	wants("methods", "The bank account was added", "Prairie Gate Savings Bank ••••6789")
	check("methods-pending")
	f.sendFile()
	one, two := f.micro(contractMethod(t, f, "bank"))
	b.Go("/payment-methods")
	b.Click(`a[href$="/verify"]`)
	b.WaitFor("#first")
	check("verify")
	b.Fill("#first", one.String())
	b.Fill("#second", two.String())
	b.Click(`form[action$="/verify"] button.primary`)
	b.WaitPath("/payment-methods")
	wants("methods", "the bank account is confirmed", "Ready to use")

	// Pay once from it: amount due, today.
	b.Go("/contracts/" + loan + "/pay")
	check("pay-form")
	b.Click("#amount-due")
	b.Click(`form.pay-form button.primary`)
	b.WaitPath("/contracts/" + loan + "/pay/review")
	wants("review", "Review your payment", "today")
	check("pay-review")
	b.Click(`form[action="/contracts/` + loan + `/pay"] button.primary`)
	b.WaitFor(".confirmation")
	wants("confirmation", "Thank you: your payment is confirmed", "Confirmation number")
	check("pay-confirmation")
	name, pdf := b.Download(`a[href$="/receipt.pdf"]`)
	if !strings.HasPrefix(name, "receipt-P") || !strings.HasPrefix(string(pdf), "%PDF-") {
		t.Fatalf("receipt %s: %.20q", name, pdf)
	}
	validatePDF(t, pdf)

	// A card, through the test tokenizer: the number goes to /cardtest.
	b.Go("/payment-methods/card/new")
	check("card-form")
	tokenize("4242 4242 4242 4242")
	if !strings.Contains(b.Location(), "card_token=tok_test_") {
		t.Errorf("after the tokenizer at %s", b.Location())
	}
	wants("card-save", "Visa ••••4242")
	check("card-save")
	b.Click(`form[action="/payment-methods/card"] button.primary`)
	b.WaitPath("/payment-methods")
	check("methods")
	if strings.Contains(s.logs.String(), "4242 4242") || strings.Contains(s.logs.String(), "4242424242424242") {
		t.Error("the card number reached the portal's logs")
	}

	// Pay by card: another amount.
	card := itoa(contractMethod(t, f, "card"))
	reviewOther("35.00", card)
	wants("card review", "$35.00", "Visa ••••4242")
	b.Click(`form[action="/contracts/` + loan + `/pay"] button.primary`)
	b.WaitFor(".confirmation")
	wants("card confirmation", "Completed")

	// A card the issuer declines: the reason in words, nothing charged.
	b.Go("/payment-methods/card/new")
	tokenize("4000 0000 0000 9995")
	b.Click(`form[action="/payment-methods/card"] button.primary`)
	b.WaitPath("/payment-methods")
	declining := itoa(contractMethod(t, f, "card"))
	reviewOther("45.00", declining)
	b.Click(`form[action="/contracts/` + loan + `/pay"] button.primary`)
	b.WaitFor(".error-summary")
	wants("declined", "Your card was declined for insufficient funds. Nothing was charged.")
	check("pay-declined")
	var charged int
	if err := d.Read.QueryRow(`SELECT count(*) FROM payments WHERE method_id = $1 AND status NOT IN ('declined', 'failed')`, declining).Scan(&charged); err != nil || charged != 0 {
		t.Errorf("a declined card left %d live payments (%v)", charged, err)
	}

	// Schedule a payment for a later business day, then cancel it.
	b.Go("/contracts/" + loan + "/pay")
	b.Click("#amount-other")
	b.Fill("#other", "60.00")
	setSelect("#date", "2026-12-04")
	b.Click(`form.pay-form button.primary`)
	b.WaitPath("/contracts/" + loan + "/pay/review")
	wants("scheduled review", "December 4, 2026", "You can change or cancel it until December 3, 2026")
	b.Click(`form[action="/contracts/` + loan + `/pay"] button.primary`)
	b.WaitFor(".confirmation")
	check("payment-scheduled")
	conf := confRE.FindStringSubmatch(b.Location())[1]
	b.Go("/payments")
	wants("payments", "Scheduled payments", "December 4, 2026", "Payment history")
	check("payments")
	b.Go("/payments/" + conf + "/edit")
	check("payment-edit")
	// Change it: another amount, on the same date.
	b.Click("#amount-other")
	b.Fill("#other", "65.00")
	b.Click(`form.pay-form button.primary`)
	b.WaitFor(".notice")
	wants("changed", "The payment was changed", "$65.00", "December 4, 2026")
	b.Go("/payments/" + conf)
	b.Click(`a[href$="/cancel"]`)
	b.WaitFor(`form[action$="/cancel"]`)
	check("payment-cancel")
	b.Click(`form[action$="/cancel"] button.primary`)
	b.WaitFor(".notice")
	wants("cancelled", "The payment was cancelled", "Cancelled by you")

	// Autopay: the form, the authorization (refused unticked), enrolled.
	b.Go("/contracts/" + loan + "/autopay")
	check("autopay-form")
	b.Click("#extra-more")
	b.Fill("#extra", "20.00")
	setSelect("#days", "3")
	b.Click(`form[action$="/autopay/review"] button.primary`)
	b.WaitFor(".authorization")
	wants("autopay review", "I authorize", "3 days before each due date", "plus $20.00")
	check("autopay-review")
	b.Click(`form[action$="/autopay"] button.primary`)
	b.WaitFor("#accept-error")
	b.Click("#accept")
	b.Click(`form[action$="/autopay"] button.primary`)
	b.WaitFor("#autopay-h")
	wants("autopay", "Autopay is on", "3 days before the due date", "Accepted")
	check("autopay-on")
	b.Go("/contracts/" + loan + "/autopay/stop")
	check("autopay-stop")

	// Spanish, in a second browser (each has a time budget), on the pages
	// a GET reaches.
	b = browsertest.Start(t, s.base)
	signIn()
	b.Click(`form[action="/lang"] button`)
	b.WaitFor(`html[lang="es"] h1`)
	for _, p := range []struct{ name, path string }{
		{"payments-es", "/payments"},
		{"methods-es", "/payment-methods"},
		{"bank-es", "/payment-methods/bank/new"},
		{"card-es", "/payment-methods/card/new?card_error=invalid_number"},
		{"pay-form-es", "/contracts/" + loan + "/pay?amount=other&other=1.234"},
		{"pay-review-es", "/contracts/" + loan + "/pay/review?amount=other&other=12.00&method=" + card + "&date=2026-12-04"},
		{"payment-es", "/payments/" + conf},
		{"autopay-es", "/contracts/" + loan + "/autopay"},
		{"autopay-change-es", "/contracts/" + loan + "/autopay/change"},
		{"autopay-stop-es", "/contracts/" + loan + "/autopay/stop"},
	} {
		b.Go(p.path)
		if lang := browsertest.Eval[string](b, `document.documentElement.lang`); lang != "es" {
			t.Errorf("%s: lang %q", p.name, lang)
		}
		check(p.name)
	}
}

// contractMethod returns customer A's method of a kind.
func contractMethod(t *testing.T, f *payFixture, kind string) int64 {
	t.Helper()
	var id int64
	if err := f.d.Read.QueryRow(`SELECT max(id) FROM payment_methods WHERE customer_id = $1 AND kind = $2`, f.a.id, kind).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}
