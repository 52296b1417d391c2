package main

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"carfin/db"
	"carfin/db/dbtest"
)

// TestBankFormRefusesNamesACHCannotCarry: the bank-account form refuses,
// next to the name field and in the customer's language, a holder name
// that would keep fewer than two letters A–Z in a NACHA file (the bank's
// file would carry blanks, and a blank name makes the whole file
// invalid), and writes nothing; a Latin name with letters NACHA has no
// room for is accepted and kept as typed.
func TestBankFormRefusesNamesACHCannotCarry(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		env := newPayEnv(t)
		s := startServe(t, d, env.serve)
		s.setClock(payToday, 10, 0)
		c := seedLogin(t, s, "Lukasz")
		b := s.browser("198.51.100.71")
		b.mustSignIn(c.email, testPassword)
		count := func(q string, args ...any) int {
			t.Helper()
			var n int
			if err := d.Read.QueryRow(q, args...).Scan(&n); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			return n
		}
		written := func() string {
			return fmt.Sprintf("methods %d, outbox %d, audit %d", count(`SELECT count(*) FROM payment_methods WHERE customer_id = $1`, c.id),
				count(`SELECT count(*) FROM outbox WHERE to_addr = $1`, c.email),
				count(`SELECT count(*) FROM audit_events WHERE subject LIKE 'payment_method:%'`))
		}
		form := func(holder string) url.Values {
			return url.Values{"holder": {holder}, "account_type": {"checking"}, "routing": {"112601818"}, "account": {"000123456789"},
				"confirm_account": {"000123456789"}, "validation": {"microdeposits"}}
		}
		before := written()
		for _, lang := range []struct{ code, message string }{
			{"en", "in Latin letters (A to Z): bank records cannot hold names in other alphabets"},
			{"es", "con letras latinas (de la A a la Z): los registros bancarios no admiten nombres en otros alfabetos"},
		} {
			b.post("/lang", url.Values{"lang": {lang.code}, "next": {"/payment-methods/bank/new"}}).must(t, 200, `<html lang="`+lang.code+`"`)
			for _, name := range []string{"李小龍", "Иван Петров", "Ελένη Παπαδοπούλου", "محمد علي", "X", "12 34"} {
				t.Run(lang.code+" "+name, func(t *testing.T) {
					r := b.post("/payment-methods/bank", form(name))
					r.must(t, 422, `id="holder-error"`, lang.message, `class="error-summary"`, `href="#holder"`, `aria-invalid="true"`,
						`value="`+name+`"`)
					if strings.Contains(r.body, "000123456789") {
						t.Error("the account number is shown again")
					}
					if got := written(); got != before {
						t.Errorf("written: %s, was %s", got, before)
					}
				})
			}
		}
		b.post("/lang", url.Values{"lang": {"en"}, "next": {"/payment-methods"}}).must(t, 200)
		r := b.post("/payment-methods/bank", form("Łukasz Żółć"))
		r.must(t, 200, "The bank account was added")
		var holder string
		if err := d.Read.QueryRow(`SELECT holder_name FROM payment_methods WHERE customer_id = $1`, c.id).Scan(&holder); err != nil || holder != "Łukasz Żółć" {
			t.Errorf("holder %q %v", holder, err)
		}
	})
}
