package payments_test

import (
	"bytes"
	"testing"

	"carfin/db"
	"carfin/db/dbtest"
	"carfin/internal/pdftest"
	"carfin/notify"
	"carfin/payments"
	"carfin/payments/ach"
	"carfin/preferences"
	"carfin/servicing"
)

// TestNotificationsFollowPreferences: the "payment processed" alert and
// the autopay reminder follow the customer's alert preferences (package
// preferences: email, text at the consented phone, off), while receipts
// — with the receipt PDF attached — and notices of a returned payment are
// always sent.
func TestNotificationsFollowPreferences(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, "2026-11-02") // Monday, 10:00
		person := func(first, phone string) int64 {
			t.Helper()
			id, err := e.sv.CreateCustomer(e.ctx, servicing.NewCustomer{FirstName: first, LastName: "Tester", Email: first + "@example.com", Phone: phone,
				AddressLine1: "1 Main St", City: "Springfield", State: "IL", ZIP: "62701", BirthDate: day("1980-02-29"), SSNLast4: "1234"})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		set := func(cust int64, c preferences.Change) {
			t.Helper()
			if err := d.InTx(e.ctx, func(tx *db.Tx) error { return preferences.Set(e.ctx, tx, cust, c, "test", "") }); err != nil {
				t.Fatal(err)
			}
		}
		// Ada keeps the defaults; Bo wants texts, not emails, for payments
		// received; Cy turned reminders off from the autopay page.
		ada, bo, cy := person("ada", ""), person("bo", "+15555550142"), person("cy", "")
		set(bo, preferences.Change{DueReminderDays: 5, Alerts: map[preferences.Kind]preferences.Channels{
			preferences.DueReminder: {Email: true}, preferences.PaymentReceived: {SMS: true}, preferences.StatementReady: {Email: true}}})
		if err := d.InTx(e.ctx, func(tx *db.Tx) error { return preferences.SetReminderDays(e.ctx, tx, cy, 0, "test", "") }); err != nil {
			t.Fatal(err)
		}
		if n, _ := preferences.ReminderDays(e.ctx, d.Read, cy); n != 0 {
			t.Fatalf("Cy's reminder days %d", n)
		}
		type who struct {
			id, loan int64
			method   payments.Method
			pay      payments.Payment
		}
		var people []*who
		for i, c := range []int64{ada, bo, cy} {
			w := &who{id: c, loan: e.loan(c, "9000", 36, "2026-10-10", "2026-11-10")}
			w.method = e.bank(c, []string{"112601818", "129083018", "226131863"}[i], "55500"+string(rune('1'+i)))
			p, err := e.pay.Pay(e.ctx, c, payments.OneTime{ContractID: w.loan, MethodID: w.method.ID, Choice: payments.PayAmountDue, IdempotencyKey: "k"})
			if err != nil {
				t.Fatal(err)
			}
			w.pay = p
			people = append(people, w)
		}
		// The receipt goes with the confirmation email, whatever the preferences.
		for _, w := range people {
			q := e.outbox(e.email(w.id))
			var found bool
			for _, m := range q {
				if m.Message.Kind == "payment.scheduled" {
					found = true
					pdf, err := e.pay.Receipt(e.ctx, w.id, w.pay.ID)
					if err != nil {
						t.Fatal(err)
					}
					a := m.Message.Attachments
					if len(a) != 1 || a[0].Name != "receipt-"+w.pay.Confirmation+".pdf" || a[0].ContentType != "application/pdf" || !bytes.Equal(a[0].Data, pdf) {
						t.Errorf("customer %d: receipt attachment %+v", w.id, a)
					}
					pdftest.Text(t, a[0].Data)
				}
			}
			if !found {
				t.Errorf("customer %d: no confirmation email in %s", w.id, kinds(q))
			}
		}
		// Autopay from tomorrow's run on; the day's run sends the file.
		for _, w := range people {
			e.enrol(w.id, w.loan, w.method.ID, "", 0)
		}
		e.runDays("2026-11-02", "2026-12-11")
		sms, err := notify.Outbox(e.ctx, d, "+15555550142", 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name                  string
			to                    string
			processed, reminders  int
			processedSMS, smsRems int
		}{
			{"Ada: defaults", e.email(ada), 2, 1, 0, 0},
			{"Bo: texts for payments received", e.email(bo), 0, 1, 2, 0},
			{"Cy: no reminders", e.email(cy), 2, 0, 0, 0},
		} {
			q := e.outbox(tc.to)
			if got := countKind(q, "payment.processed"); got != tc.processed {
				t.Errorf("%s: %d processed emails, want %d (%s)", tc.name, got, tc.processed, kinds(q))
			}
			if got := countKind(q, "autopay.upcoming"); got != tc.reminders {
				t.Errorf("%s: %d reminders, want %d (%s)", tc.name, got, tc.reminders, kinds(q))
			}
			if tc.processedSMS > 0 {
				if got := countKind(sms, "payment.processed"); got != tc.processedSMS {
					t.Errorf("%s: %d processed texts, want %d (%s)", tc.name, got, tc.processedSMS, kinds(sms))
				}
			}
		}
		for _, m := range sms {
			if m.Message.Channel != notify.SMS {
				t.Errorf("to the phone: %+v", m)
			}
		}
		// A returned payment is told whatever the preferences.
		set(cy, preferences.Change{DueReminderDays: 5, Alerts: map[preferences.Kind]preferences.Channels{}})
		sent := e.sentPayment(people[2].pay.ID)
		if _, err := e.pay.ImportReturns(e.ctx, "returns.txt", e.returnsFile(ret(sent, ach.KindReturn, "R01", ""))); err != nil {
			t.Fatal(err)
		}
		if got := countKind(e.outbox(e.email(cy)), "payment.returned"); got != 1 {
			t.Errorf("Cy: %d returned notices", got)
		}
	})
}
