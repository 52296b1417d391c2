package payments_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"carfin/db"
	"carfin/db/dbtest"
	"carfin/payments"
	"carfin/payments/ach"
	"carfin/payments/cardtest"
)

// TestBankAccountEntryRefusals: each bad entry is refused with its typed
// error and writes nothing (no method, no message, no audit event).
func TestBankAccountEntryRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, "2026-11-02")
		ada := e.customer("Ada")
		ok := payments.NewBankAccount{HolderName: "Ada Tester", AccountType: "checking", Routing: "112601818", Account: "123456789", ConfirmAccount: "123456789"}
		if _, err := e.pay.AddBankAccount(e.ctx, ada, ok); err != nil {
			t.Fatal(err)
		}
		before := [3]int{e.count(`SELECT count(*) FROM payment_methods`), e.count(`SELECT count(*) FROM outbox`), e.count(`SELECT count(*) FROM audit_events`)}
		for _, tc := range []struct {
			name   string
			change func(*payments.NewBankAccount)
			want   error
		}{
			{"routing check digit", func(n *payments.NewBankAccount) { n.Routing = "112601819" }, ach.ErrRoutingCheckDigit},
			{"routing too short", func(n *payments.NewBankAccount) { n.Routing = "11260181" }, ach.ErrRoutingFormat},
			{"routing letters", func(n *payments.NewBankAccount) { n.Routing = "11260181A" }, ach.ErrRoutingFormat},
			{"routing not in the directory", func(n *payments.NewBankAccount) { n.Routing = "011000015" }, ach.ErrRoutingUnknown},
			{"account entries differ", func(n *payments.NewBankAccount) { n.ConfirmAccount = "123456798" }, payments.ErrAccountMismatch},
			{"account too short", func(n *payments.NewBankAccount) { n.Account, n.ConfirmAccount = "123", "123" }, payments.ErrAccountNumber},
			{"account too long", func(n *payments.NewBankAccount) {
				n.Account, n.ConfirmAccount = "123456789012345678", "123456789012345678"
			}, payments.ErrAccountNumber},
			{"account letters", func(n *payments.NewBankAccount) { n.Account, n.ConfirmAccount = "12345X789", "12345X789" }, payments.ErrAccountNumber},
			{"no holder", func(n *payments.NewBankAccount) { n.HolderName = "  " }, payments.ErrHolderName},
			{"holder too long", func(n *payments.NewBankAccount) { n.HolderName = strings.Repeat("x", 23) }, payments.ErrHolderName},
			{"account type", func(n *payments.NewBankAccount) { n.AccountType = "brokerage" }, payments.ErrAccountType},
			{"same account again", func(n *payments.NewBankAccount) { n.Account, n.ConfirmAccount = "1234-56789", "123 456 789" }, payments.ErrDuplicateMethod},
		} {
			t.Run(tc.name, func(t *testing.T) {
				n := ok
				tc.change(&n)
				if _, err := e.pay.AddBankAccount(e.ctx, ada, n); !errors.Is(err, tc.want) {
					t.Errorf("err = %v, want %v", err, tc.want)
				}
			})
		}
		if _, err := e.pay.AddBankAccount(e.ctx, 999_999, ok); !errors.Is(err, payments.ErrNotFound) {
			t.Errorf("unknown customer: %v", err)
		}
		after := [3]int{e.count(`SELECT count(*) FROM payment_methods`), e.count(`SELECT count(*) FROM outbox`), e.count(`SELECT count(*) FROM audit_events`)}
		if before != after {
			t.Errorf("refused entries wrote rows: methods/outbox/audit %v → %v", before, after)
		}
	})
}

// TestMicroDeposits: an account is unusable until its two deposits went
// out and the customer confirmed them; three wrong tries fail it.
func TestMicroDeposits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, "2026-11-02")
		ada := e.customer("Ada")
		loan := e.loan(ada, "12000", 36, "2026-10-15", "2026-11-15")
		m, err := e.pay.AddBankAccount(e.ctx, ada, payments.NewBankAccount{HolderName: "Ada Tester", AccountType: "savings", Routing: "226131863",
			Account: "000123456789", ConfirmAccount: "000123456789", Nickname: "Rainy day"})
		if err != nil {
			t.Fatal(err)
		}
		if m.Status != payments.MethodPending || m.Masked() != "••••6789" || m.Label() != "Savings at Harborlight Credit Union ••••6789" || m.MicroDepositsSent {
			t.Fatalf("new method %+v (%s)", m, m.Label())
		}
		if _, err := e.pay.Quote(e.ctx, ada, payments.OneTime{ContractID: loan, MethodID: m.ID, Choice: payments.PayAmountDue}); !errors.Is(err, payments.ErrNotValidated) {
			t.Errorf("pending account paid: %v", err)
		}
		if _, err := e.pay.ConfirmMicroDeposits(e.ctx, ada, m.ID, 1, 2); !errors.Is(err, payments.ErrMicroDepositsUnsent) {
			t.Errorf("confirm before sending: %v", err)
		}
		res, err := e.pay.OriginateACH(e.ctx, e.today())
		if err != nil {
			t.Fatal(err)
		}
		a, b := e.micro(m.ID)
		if a < 1 || a > 99 || b < 1 || b > 99 || a == b {
			t.Fatalf("micro amounts %s %s", a, b)
		}
		file := readFile(t, res.Path)
		// Two credits under $1 (savings: 32) and the offsetting debit (37),
		// in an ACCTVERIFY batch (Nacha Micro-Entries).
		if !strings.Contains(file, "ACCTVERIFY") || strings.Count(file, "\n632226131863000123456789") != 2 || strings.Count(file, "\n637226131863000123456789") != 1 ||
			res.CreditCents != a+b || res.DebitCents != a+b {
			t.Errorf("micro-entries: credits %s debits %s\n%s", res.CreditCents, res.DebitCents, file)
		}
		other := e.customer("Bob")
		if _, err := e.pay.ConfirmMicroDeposits(e.ctx, other, m.ID, a, b); !errors.Is(err, payments.ErrNotFound) {
			t.Errorf("another customer confirmed: %v", err)
		}
		for try := 1; try <= 2; try++ {
			m, err = e.pay.ConfirmMicroDeposits(e.ctx, ada, m.ID, a+1, b)
			if !errors.Is(err, payments.ErrMicroDepositAmounts) || m.AttemptsLeft != 3-try || m.Status != payments.MethodPending {
				t.Fatalf("wrong try %d: %+v %v", try, m, err)
			}
		}
		m, err = e.pay.ConfirmMicroDeposits(e.ctx, ada, m.ID, b, a)
		if err != nil || m.Status != payments.MethodActive {
			t.Fatalf("right amounts: %+v %v", m, err)
		}
		if _, err := e.pay.Quote(e.ctx, ada, payments.OneTime{ContractID: loan, MethodID: m.ID, Choice: payments.PayAmountDue}); err != nil {
			t.Errorf("validated account cannot pay: %v", err)
		}
		// A second account: three wrong tries fail it for good.
		m2, err := e.pay.AddBankAccount(e.ctx, ada, payments.NewBankAccount{HolderName: "Ada Tester", AccountType: "checking", Routing: "029139091",
			Account: "55556666", ConfirmAccount: "55556666"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.pay.OriginateACH(e.ctx, e.today()); err != nil {
			t.Fatal(err)
		}
		a, b = e.micro(m2.ID)
		for range 2 {
			if _, err := e.pay.ConfirmMicroDeposits(e.ctx, ada, m2.ID, a, a); !errors.Is(err, payments.ErrMicroDepositAmounts) {
				t.Fatal(err)
			}
		}
		if m2, err = e.pay.ConfirmMicroDeposits(e.ctx, ada, m2.ID, a, a); !errors.Is(err, payments.ErrValidationFailed) || m2.Status != payments.MethodFailed {
			t.Fatalf("third wrong try: %+v %v", m2, err)
		}
		if _, err := e.pay.ConfirmMicroDeposits(e.ctx, ada, m2.ID, a, b); !errors.Is(err, payments.ErrMethodUnusable) {
			t.Errorf("confirm after failure: %v", err)
		}
		// The failed account can be added again (new deposits), a validated one cannot.
		if again, err := e.pay.AddBankAccount(e.ctx, ada, payments.NewBankAccount{HolderName: "Ada Tester", AccountType: "checking", Routing: "029139091",
			Account: "55556666", ConfirmAccount: "55556666"}); err != nil || again.Status != payments.MethodPending || again.ID == m2.ID {
			t.Errorf("re-add after failure: %+v %v", again, err)
		}
		if _, err := e.pay.AddBankAccount(e.ctx, ada, payments.NewBankAccount{HolderName: "Ada Tester", AccountType: "savings", Routing: "226131863",
			Account: "000123456789", ConfirmAccount: "000123456789"}); !errors.Is(err, payments.ErrDuplicateMethod) {
			t.Errorf("re-add a validated account: %v", err)
		}
		if q := e.outbox(e.email(ada)); !strings.Contains(kinds(q), "payment_method.added") || !strings.Contains(q[0].Message.Text, "two small deposits") {
			t.Errorf("alert: %s", kinds(q))
		}
	})
}

// TestPrenote: a prenote account becomes usable three banking days after
// the prenote's settlement, unless returned.
func TestPrenote(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, "2026-11-02") // Monday
		ada := e.customer("Ada")
		m, err := e.pay.AddBankAccount(e.ctx, ada, payments.NewBankAccount{HolderName: "Ada Tester", AccountType: "checking", Routing: "112601818",
			Account: "987654321", ConfirmAccount: "987654321", Validation: payments.Prenote})
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.pay.OriginateACH(e.ctx, e.today())
		if err != nil {
			t.Fatal(err)
		}
		if f := readFile(t, res.Path); !strings.Contains(f, "\n628112601818987654321        0000000000") {
			t.Fatalf("no zero-dollar prenote (28) in\n%s", f)
		}
		// Settles Tuesday 11-03; usable from Friday 11-06.
		for _, dt := range []string{"2026-11-03", "2026-11-04", "2026-11-05"} {
			if _, n, err := e.pay.Settle(e.ctx, day(dt)); err != nil || n != 0 {
				t.Fatalf("settle %s: %d %v", dt, n, err)
			}
		}
		if _, n, err := e.pay.Settle(e.ctx, day("2026-11-06")); err != nil || n != 1 {
			t.Fatalf("settle 11-06: %d %v", n, err)
		}
		if m, _ = e.pay.Method(e.ctx, ada, m.ID); m.Status != payments.MethodActive {
			t.Errorf("after the wait: %+v", m)
		}
	})
}

// TestAccountEncryption: account numbers are stored only encrypted with
// a key id, cannot be moved to another customer's row, and rotate.
func TestAccountEncryption(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, "2026-11-02")
		ada, bob := e.customer("Ada"), e.customer("Bob")
		ma, err := e.pay.AddBankAccount(e.ctx, ada, payments.NewBankAccount{HolderName: "Ada", AccountType: "checking", Routing: "112601818",
			Account: "11223344556677", ConfirmAccount: "11223344556677"})
		if err != nil {
			t.Fatal(err)
		}
		mb, err := e.pay.AddBankAccount(e.ctx, bob, payments.NewBankAccount{HolderName: "Bob", AccountType: "checking", Routing: "112601818",
			Account: "99887766", ConfirmAccount: "99887766"})
		if err != nil {
			t.Fatal(err)
		}
		var keyID string
		var sealed []byte
		if err := d.Read.QueryRowContext(e.ctx, `SELECT account_key_id, account_cipher FROM payment_methods WHERE id = $1`, ma.ID).Scan(&keyID, &sealed); err != nil {
			t.Fatal(err)
		}
		if keyID != "dev" || bytes.Contains(sealed, []byte("11223344556677")) || len(sealed) < 12+14+16 {
			t.Fatalf("stored %q %x", keyID, sealed)
		}
		// Rotate: a new current key, the old one still configured.
		k2 := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
		dev := base64.StdEncoding.EncodeToString([]byte("carfin-development-key-NOT-SECRET")[:32])
		keys, err := payments.ParseKeys("k2:" + k2 + ",dev:" + dev)
		if err != nil {
			t.Fatal(err)
		}
		rot := newEnv(t, d, "2026-11-02", func(c *payments.Config) { c.Keys = keys })
		n, err := rot.pay.ReEncrypt(e.ctx)
		if err != nil || n != 2 {
			t.Fatalf("re-encrypt: %d %v", n, err)
		}
		if n, err := rot.pay.ReEncrypt(e.ctx); err != nil || n != 0 {
			t.Fatalf("second re-encrypt: %d %v", n, err)
		}
		if e.count(`SELECT count(*) FROM payment_methods WHERE account_key_id = 'k2'`) != 2 {
			t.Error("not all rows moved to k2")
		}
		// With only the new key, the numbers still decrypt (the file of
		// validation entries is written from them).
		only, _ := payments.ParseKeys("k2:" + k2)
		fresh := newEnv(t, d, "2026-11-02", func(c *payments.Config) { c.Keys = only })
		res, err := fresh.pay.OriginateACH(e.ctx, e.today())
		if err != nil {
			t.Fatal(err)
		}
		if f := readFile(t, res.Path); !strings.Contains(f, "11223344556677") || !strings.Contains(f, "99887766") {
			t.Errorf("file lacks the decrypted numbers")
		}
		// A ciphertext copied onto another customer's row does not decrypt.
		if _, err := d.SQL.ExecContext(e.ctx, `UPDATE payment_methods SET account_cipher = (SELECT account_cipher FROM payment_methods WHERE id = $1) WHERE id = $2`,
			ma.ID, mb.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := d.SQL.ExecContext(e.ctx, `UPDATE ach_verifications SET status = 'scheduled' WHERE method_id = $1`, mb.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := fresh.pay.OriginateACH(e.ctx, e.today()); !errors.Is(err, payments.ErrDecrypt) {
			t.Errorf("moved ciphertext: %v", err)
		}
		for _, bad := range []string{"", "nokey", "a:" + base64.StdEncoding.EncodeToString([]byte("short")), "a b:" + k2, "a:" + k2 + ",a:" + k2} {
			if _, err := payments.ParseKeys(bad); !errors.Is(err, payments.ErrKeys) {
				t.Errorf("ParseKeys(%q) = %v", bad, err)
			}
		}
	})
}

// TestCardsAndRemoval: cards are stored as tokens (brand, last 4,
// expiry), expired and forged tokens are refused, and removing a method
// is refused while it is in use and scoped to its owner.
func TestCardsAndRemoval(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, "2026-11-02")
		ada, bob := e.customer("Ada"), e.customer("Bob")
		c := e.card(ada, "4242 4242 4242 4242")
		if c.Kind != payments.KindCard || c.Brand != "visa" || c.Last4 != "4242" || c.Label() != "Visa ••••4242, expires 12/2029" {
			t.Fatalf("card %+v %s", c, c.Label())
		}
		var token string
		if err := d.Read.QueryRowContext(e.ctx, `SELECT card_token FROM payment_methods WHERE id = $1`, c.ID).Scan(&token); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(token, "4242424242424242") || e.count(`SELECT count(*) FROM payment_methods WHERE holder_name LIKE '%4242424242%'`) != 0 {
			t.Error("the card number is stored")
		}
		if _, err := e.pay.AddCard(e.ctx, ada, "tok_test_forged.abc", "", ""); !errors.Is(err, payments.ErrProcessorBadRequest) {
			t.Errorf("forged token: %v", err)
		}
		if _, err := e.pay.AddCard(e.ctx, ada, token, "", ""); !errors.Is(err, payments.ErrDuplicateMethod) {
			t.Errorf("same card twice: %v", err)
		}
		old := cardtest.New("test-secret")
		old.Now = func() time.Time { return e.clock.Now().AddDate(-5, 0, 0) }
		expired, err := old.Tokenize(cardtest.Card{Number: "5555555555554444", ExpMonth: 1, ExpYear: e.today().Year() - 1, CVC: "123"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.pay.AddCard(e.ctx, ada, expired.Token, "", ""); !errors.Is(err, payments.ErrCardExpired) {
			t.Errorf("expired card: %v", err)
		}
		if err := e.pay.RemoveMethod(e.ctx, bob, c.ID, ""); !errors.Is(err, payments.ErrNotFound) {
			t.Errorf("another customer removed it: %v", err)
		}
		if ms, _ := e.pay.Methods(e.ctx, bob); len(ms) != 0 {
			t.Errorf("bob sees %d methods", len(ms))
		}
		loan := e.loan(ada, "10000", 24, "2026-10-20", "2026-11-20")
		p, err := e.pay.Pay(e.ctx, ada, payments.OneTime{ContractID: loan, MethodID: c.ID, Choice: payments.PayOther, Other: "50", Date: day("2026-11-10"), IdempotencyKey: "k1"})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.pay.RemoveMethod(e.ctx, ada, c.ID, ""); !errors.Is(err, payments.ErrMethodInUse) {
			t.Errorf("remove while scheduled: %v", err)
		}
		if _, err := e.pay.CancelPayment(e.ctx, ada, p.ID, ""); err != nil {
			t.Fatal(err)
		}
		if err := e.pay.RemoveMethod(e.ctx, ada, c.ID, "198.51.100.7"); err != nil {
			t.Fatal(err)
		}
		if ms, _ := e.pay.Methods(e.ctx, ada); len(ms) != 0 {
			t.Errorf("removed method still listed: %+v", ms)
		}
		if !strings.Contains(kinds(e.outbox(e.email(ada))), "payment_method.removed") {
			t.Error("no removal alert")
		}
	})
}
