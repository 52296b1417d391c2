package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/demo"
	"carfin/identity"
	"carfin/money"
	"carfin/payments"
	"carfin/servicing"
)

// Issue 11 through the command line and the portal's pages.

// TestACHFileFutureDate: `carfin ach file --date` after today's business
// date is refused as a bad command line before anything is written: no
// file, the payment due that day still scheduled and no message to the
// customer (the run used to fail it for good and email "payment failed").
func TestACHFileFutureDate(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			dsn := "sqlite:" + filepath.Join(t.TempDir(), "carfin.db")
			if engine == "postgres" {
				dsn = dbtest.PostgresDSN(t)
			}
			ctx := context.Background()
			d, err := openDB(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			out := t.TempDir()
			env := paymentsEnv(out)
			cut, err := calendar.ParseCutoff("17:00", "America/New_York")
			if err != nil {
				t.Fatal(err)
			}
			pay, err := paymentsFromEnv(func(k string) string { return env[k] }, d, servicing.New(d, cut.Today), cut, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			c := seedCustomer(t, d, "Fay")
			loan := contractOf(t, d, c.id)
			m, err := pay.AddBankAccount(ctx, c.id, payments.NewBankAccount{HolderName: "Fay Quinn", AccountType: "checking", Routing: "129083018",
				Account: "55501234", ConfirmAccount: "55501234"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := pay.OriginateACH(ctx, calendar.OnOrAfterBusinessDay(cut.Today(d.Now()))); err != nil {
				t.Fatal(err)
			}
			var a, b money.Cents
			if err := d.Read.QueryRow(`SELECT micro1_cents, micro2_cents FROM payment_methods WHERE id = $1`, m.ID).Scan(&a, &b); err != nil {
				t.Fatal(err)
			}
			if _, err := pay.ConfirmMicroDeposits(ctx, c.id, m.ID, a, b); err != nil {
				t.Fatal(err)
			}
			o, err := pay.Options(ctx, c.id, loan)
			if err != nil {
				t.Fatal(err)
			}
			date := calendar.AddBusinessDays(o.Earliest, 2)
			p, err := pay.Pay(ctx, c.id, payments.OneTime{ContractID: loan, MethodID: m.ID, Choice: payments.PayOther, Other: "120.00", Date: date,
				IdempotencyKey: "k1"})
			if err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, d, c.email)
			_, errOut, code := carfinEnv(t, env, "ach", "file", "--db", dsn, "--time-zone", "America/New_York", "--cutoff", "17:00",
				"--date", date.String(), "--out", out)
			if code != 2 || !strings.Contains(errOut, "--date "+date.String()+" is after today's business date") {
				t.Fatalf("ach file --date %s: exit %d: %s", date, code, errOut)
			}
			if after := snapshot(t, d, c.email); after != before {
				t.Errorf("a refused command wrote:\nbefore %s\nafter  %s", before, after)
			}
			if got, err := pay.Payment(ctx, c.id, p.ID); err != nil || got.Status != payments.StatusScheduled {
				t.Errorf("payment %+v %v", got, err)
			}
		})
	}
}

// snapshot is what the payment run writes: files, payments by status,
// messages to the customer.
func snapshot(t *testing.T, d *db.DB, email string) string {
	t.Helper()
	var files, scheduled, other, mail int
	err := d.Read.QueryRow(`SELECT (SELECT count(*) FROM ach_files), (SELECT count(*) FROM payments WHERE status = 'scheduled'),
		(SELECT count(*) FROM payments WHERE status <> 'scheduled'), (SELECT count(*) FROM outbox WHERE to_addr = $1)`, email).
		Scan(&files, &scheduled, &other, &mail)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("files %d, scheduled %d, other payments %d, messages %d", files, scheduled, other, mail)
}

// TestPortalPaymentHardening runs the payment pages' issue 11 cases on
// one server per engine.
func TestPortalPaymentHardening(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := startPayments(t, d)
		bank := f.confirmedBank(f.a.id, "129083018", "44401234")
		t.Run("late", func(t *testing.T) { latePaymentPages(t, f, bank) })
		t.Run("twice", func(t *testing.T) { paidTwicePages(t, f, bank) })
		t.Run("quote", func(t *testing.T) { quotePayPages(t, f, bank) })
		t.Run("card expiry", func(t *testing.T) { cardExpiryPage(t, f) })
	})
}

// latePaymentPages: a payment date after an installment's grace period
// shows the late fee the servicing engine will charge (Ada's loan charges
// $25 on an installment unpaid ten days after its due date) and the last
// date that avoids it (the grace ends Wednesday, November 25, the day
// before Thanksgiving), in both languages; a date in time shows nothing.
func latePaymentPages(t *testing.T, f *payFixture, bank payments.Method) {
	a := f.aBrows
	review := "/contracts/" + itoa(f.aLoan) + "/pay/review?"
	late := url.Values{"amount": {"other"}, "other": {"50.00"}, "method": {itoa(bank.ID)}, "date": {"2026-12-01"}}
	r := a.get(review + late.Encode())
	r.must(t, 200, "This payment will be late.", "The payment due November 15, 2026 has a grace period until November 25, 2026",
		"A payment on this date comes after it: $25.00 in late fees will be charged", "To avoid the fee, pay by November 25, 2026",
		`href="/contracts/`+itoa(f.aLoan)+`/pay/review?amount=other&amp;other=50.00&amp;method=`+itoa(bank.ID)+`&amp;date=2026-11-25"`)
	inTime := url.Values{"amount": {"other"}, "other": {"50.00"}, "method": {itoa(bank.ID)}, "date": {"2026-11-25"}}
	if r := a.get(review + inTime.Encode()); r.status != 200 || strings.Contains(r.body, "will be late") {
		t.Errorf("a payment in time is warned:\n%s", clip(r.body))
	}
	es := spanish(t, f, "198.51.100.61")
	es.get(review+late.Encode()).must(t, 200, "Este pago llegará tarde.", "se cobrarán $25.00 en cargos por pago atrasado",
		"Para evitar el cargo, pague a más tardar el")
}

// paidTwicePages: pay, then the browser's Back button and confirm again
// (a fresh review page, a new key): the review says the payment was made
// minutes ago, with its details and a link, and confirming without the
// box makes nothing; ticking it makes the second payment. In Spanish too.
func paidTwicePages(t *testing.T, f *payFixture, bank payments.Method) {
	a := f.aBrows
	pay := "/contracts/" + itoa(f.aLoan) + "/pay"
	form := url.Values{"amount": {"other"}, "other": {"61.00"}, "method": {itoa(bank.ID)}, "date": {"2026-11-20"}}
	rev := a.get(pay + "/review?" + form.Encode())
	rev.must(t, 200, "Confirm the payment of $61.00")
	if strings.Contains(rev.body, "already scheduled") {
		t.Fatalf("the first review warns:\n%s", clip(rev.body))
	}
	done := a.post(pay, with(form, "key", keyRE.FindStringSubmatch(rev.body)[1]))
	done.must(t, 200, "Thank you: your payment is confirmed")
	first := confRE.FindStringSubmatch(done.url)[1]
	count := func() int {
		return f.count(`SELECT count(*) FROM payments WHERE customer_id = $1 AND amount_cents = 6100`, f.a.id)
	}

	// Back: the review page again, with a new key.
	back := a.get(pay + "/review?" + form.Encode())
	back.must(t, 200, "You already scheduled this payment", "of $61.00 for November 20, 2026 from Checking", `href="/payments/`+first+`"`,
		"See payment "+first, `name="again"`, "Make a second payment of $61.00")
	key := keyRE.FindStringSubmatch(back.body)[1]
	refused := a.post(pay, with(form, "key", key))
	refused.must(t, 409, `id="again-error"`, "You made this same payment a few minutes ago", `href="/payments/`+first+`"`)
	if n := count(); n != 1 {
		t.Fatalf("%d payments after confirming without the box", n)
	}
	second := a.post(pay, with(form, "key", key, "again", "1"))
	second.must(t, 200, "Thank you: your payment is confirmed")
	if n := count(); n != 2 || strings.Contains(second.url, first) {
		t.Fatalf("%d payments after ticking the box (at %s)", n, second.url)
	}
	es := spanish(t, f, "198.51.100.62")
	es.get(pay+"/review?"+form.Encode()).must(t, 200, "Ya programó este pago", "Sí, hacer un segundo pago de $61.00")
}

// spanish signs Ada in from another browser that asks for Spanish.
func spanish(t *testing.T, f *payFixture, ip string) *browser {
	t.Helper()
	es := f.s.browser(ip)
	es.lang = "es"
	es.login(f.a.email, testPassword).must(t, 200, "Hola, Ada")
	return es
}

// with returns v with keys set to values.
func with(v url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, vv := range v {
		out[k] = vv
	}
	for i := 0; i < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}

// quotePayPages: a payoff quote says how the payments scheduled by its
// date are counted and pays what it leaves online: the link fills the
// payment form, and its review is not refused as more than is owed.
func quotePayPages(t *testing.T, f *payFixture, bank payments.Method) {
	a := f.aBrows
	ctx := context.Background()
	if _, err := f.pay.Pay(ctx, f.a.id, payments.OneTime{ContractID: f.aLoan, MethodID: bank.ID, Choice: payments.PayOther, Other: "100.00",
		Date: calendar.MustParse("2026-12-02"), IdempotencyKey: "quote-scheduled"}); err != nil {
		t.Fatal(err)
	}
	sv := servicing.New(f.d, f.pay.Config().Cutoff.Today)
	for _, through := range []calendar.Date{calendar.MustParse("2026-11-30"), calendar.MustParse("2026-12-04")} { // before and after it
		t.Run(through.String(), func(t *testing.T) {
			scheduled, err := payments.ScheduledThrough(ctx, f.d.Read, f.aLoan, through)
			if err != nil {
				t.Fatal(err)
			}
			pq, err := sv.QuotePayoff(ctx, f.aLoan, through)
			if err != nil {
				t.Fatal(err)
			}
			left := pq.PayoffCents - scheduled
			say := "No payments are scheduled on your account by " + longDate(through)
			if scheduled > 0 {
				say = "You have " + dollars(scheduled) + " in payments scheduled by " + longDate(through) + ". The payoff amount above does not count them"
			}
			if through == calendar.MustParse("2026-12-04") && scheduled < money.MustParse("100") {
				t.Fatalf("the $100.00 of December 2 is not counted: %s", scheduled)
			}
			q := a.post("/contracts/"+itoa(f.aLoan)+"/payoff", url.Values{"good_through": {through.String()}})
			q.must(t, 200, say, dollars(pq.PayoffCents), "Pay "+dollars(left)+" online on "+longDate(through))
			link := regexp.MustCompile(`href="(/contracts/\d+/pay\?[^"]+)"`).FindStringSubmatch(q.body)
			if link == nil {
				t.Fatalf("no link to pay online:\n%s", clip(q.body))
			}
			href := strings.ReplaceAll(link[1], "&amp;", "&")
			form := a.get(href)
			form.must(t, 200, `value="`+left.String()+`"`, `<option value="`+through.String()+`" selected>`)
			u, _ := url.Parse(href)
			v := u.Query()
			v.Set("method", itoa(bank.ID))
			a.get("/contracts/"+itoa(f.aLoan)+"/pay/review?"+v.Encode()).must(t, 200, "Confirm the payment of "+dollars(left))
		})
	}
	// The amount the form offers to pay off counts what is scheduled too.
	a.get("/contracts/"+itoa(f.aLoan)+"/pay/review?"+url.Values{"amount": {"payoff"}, "method": {itoa(bank.ID)}, "date": {"2026-12-04"}}.Encode()).
		must(t, 200, "Confirm the payment of")
}

// cardExpiryPage: the card form starts on next month, a card still valid,
// not on January of this year.
func cardExpiryPage(t *testing.T, f *payFixture) {
	c := f.aBrows.get("/payment-methods/card/new")
	c.must(t, 200, `<option value="12" selected>12</option>`, `<option value="2026" selected>2026</option>`)
	if n := strings.Count(c.body, " selected>"); n != 2 {
		t.Errorf("%d options selected", n)
	}
	// In December: January of next year.
	f.s.setClock("2026-12-21", 10, 0)
	defer f.s.setClock(payToday, 10, 0)
	dec := f.s.browser("198.51.100.63")
	dec.login(f.a.email, testPassword).must(t, 200, "Welcome, Ada")
	dec.get("/payment-methods/card/new").must(t, 200, `<option value="01" selected>01</option>`, `<option value="2027" selected>2027</option>`)
}

// TestAmountsAgree: for every open contract of the demo book, the
// dashboard, the payment form and the contract page show the figures of
// one rule (servicing's summary): amount due and its date, past due and
// how late, payoff today. The form used to count fees as past due and
// date the amount due by the oldest unpaid installment ($1,831.95 "due
// September 5" beside the dashboard's $1,744.71 past due).
func TestAmountsAgree(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		loc := mustZone(t, "America/New_York")
		book, err := demo.Build(ctx, d, loc)
		if err != nil {
			t.Fatal(err)
		}
		env := newPayEnv(t)
		s := startServe(t, d, env.serve)
		// 10:00 on a business day: a payment made now takes today's date,
		// so the form's payoff is today's.
		s.setClock(calendar.OnOrAfterBusinessDay(book.Today).String(), 10, 0)
		cut, _ := calendar.ParseCutoff("17:00", "America/New_York")
		sv := servicing.New(d, cut.Today)
		id, err := identity.New(identity.Config{DB: d, Params: cheapParams, BaseURL: s.base})
		if err != nil {
			t.Fatal(err)
		}
		// Demo customers of one name share an address; each needs its own login.
		if _, err := d.SQL.ExecContext(ctx, `UPDATE customers SET email = 'customer' || id || '@example.com' WHERE id <> $1`, book.LoginCustomerID); err != nil {
			t.Fatal(err)
		}
		rows, err := d.Read.QueryContext(ctx, `SELECT DISTINCT c.customer_id, u.email FROM contracts c JOIN customers u ON u.id = c.customer_id
			WHERE c.state IN ('active', 'matured') ORDER BY c.customer_id`)
		if err != nil {
			t.Fatal(err)
		}
		type cust struct {
			id    int64
			email string
		}
		var custs []cust
		for rows.Next() {
			var c cust
			if err := rows.Scan(&c.id, &c.email); err != nil {
				t.Fatal(err)
			}
			custs = append(custs, c)
		}
		rows.Close()
		strong := func(body, id string) string {
			m := regexp.MustCompile(`id="` + id + `"[^>]*>\s*<label[^>]*>[^<]*<strong>([^<]+)</strong>`).FindStringSubmatch(body)
			if m == nil {
				return ""
			}
			return m[1]
		}
		var late, checked int
		for i, c := range custs {
			if _, err := id.CreateCustomerLogin(ctx, c.id, testPassword); errors.Is(err, identity.ErrExists) {
				continue // the demo login, with the demo's password
			} else if err != nil {
				t.Fatal(err)
			}
			b := s.browser(fmt.Sprintf("198.51.100.%d", 100+i))
			b.login(c.email, testPassword).must(t, 200, "Welcome,")
			home := b.get("/")
			dash, err := sv.Dashboard(ctx, c.id, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			for _, dc := range dash {
				sm := dc.Summary
				if !sm.Status.Open() {
					continue
				}
				checked++
				name := fmt.Sprintf("customer %d, %s", c.id, sm.AccountNumber)
				want := []string{dollars(sm.AmountDueCents), dollars(sm.PayoffCents)}
				if sm.PastDueCents > 0 {
					late++
					want = append(want, dollars(sm.PastDueCents), fmt.Sprintf("(%d %s late)", sm.DaysPastDue, days(sm.DaysPastDue)))
				}
				for _, w := range want {
					if !strings.Contains(home.body, w) {
						t.Errorf("%s: the dashboard lacks %q", name, w)
					}
				}
				form := b.get("/contracts/" + itoa(sm.ID) + "/pay")
				form.must(t, 200)
				got := [3]string{strong(form.body, "amount-due"), strong(form.body, "amount-past_due"), strong(form.body, "amount-payoff")}
				exp := [3]string{"", "", dollars(sm.PayoffCents)}
				if sm.AmountDueCents > 0 {
					exp[0] = dollars(sm.AmountDueCents)
				}
				if sm.PastDueCents > 0 {
					exp[1] = dollars(sm.PastDueCents)
				}
				if got != exp {
					t.Errorf("%s: the payment form offers due, past due, payoff %q; the dashboard says %q", name, got, exp)
				}
				if sm.AmountDueCents > 0 && sm.NextDue != 0 && !strings.Contains(form.body, "(due "+longDate(sm.NextDue)+")") {
					t.Errorf("%s: the payment form does not date the amount due %s", name, longDate(sm.NextDue))
				}
				page := b.get("/contracts/" + itoa(sm.ID))
				page.must(t, 200, dollars(sm.PayoffCents))
				if sm.DaysPastDue > 0 && !strings.Contains(page.body, fmt.Sprintf("%d %s past due", sm.DaysPastDue, days(sm.DaysPastDue))) {
					t.Errorf("%s: the contract page does not say %d days past due", name, sm.DaysPastDue)
				}
			}
		}
		if checked < 40 || late < 2 {
			t.Fatalf("checked %d open contracts, %d past due", checked, late)
		}
	})
}

// days is "day" or "days", as English counts them.
func days(n int) string {
	if n == 1 {
		return "day"
	}
	return "days"
}
