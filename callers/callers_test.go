package callers_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/callers"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/identity"
	"carfin/money"
	"carfin/notify"
	"carfin/servicing"
)

// fixture: Ann (with an online login and a phone, account N-0001) and
// Bob (no login, account N-0002), and two staff logins.
type fixture struct {
	ann, bob, agent, other, annLogin int64
}

const annAccount, bobAccount = "N-0001", "N-0002"

func newFixture(t *testing.T, d *db.DB) fixture {
	t.Helper()
	ctx := context.Background()
	sv := servicing.New(d, func(t time.Time) calendar.Date { return calendar.Of(t) })
	var f fixture
	for i, who := range []struct {
		first, phone, account string
		id                    *int64
	}{{"Ann", "+15555550100", annAccount, &f.ann}, {"Bob", "", bobAccount, &f.bob}} {
		id, err := sv.CreateCustomer(ctx, servicing.NewCustomer{FirstName: who.first, LastName: "Quinn", Phone: who.phone,
			Email: strings.ToLower(who.first) + "@example.com", AddressLine1: "1 Main St", City: "Springfield", State: "IL", ZIP: "62701-4321",
			BirthDate: calendar.MustParse("1980-02-29"), SSNLast4: "1234"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sv.OpenContract(ctx, servicing.NewContract{AccountNumber: who.account, CustomerID: id,
			VIN: servicing.WithCheckDigit(fmt.Sprintf("2T1BURHE0J%07d", i)), VehicleYear: 2022, Make: "Kia", Model: "Soul",
			Kind: servicing.KindLoan, AmountFinancedCents: money.MustParse("9000"), APR: money.MustParseRate("8"), TermMonths: 36,
			ContractDate: calendar.MustParse("2024-03-01"), FirstDue: calendar.MustParse("2024-04-01"), GraceDays: 10,
			LateFee: servicing.LateFeeRule{Kind: "fixed", FixedCents: money.MustParse("15")}}); err != nil {
			t.Fatal(err)
		}
		*who.id = id
	}
	id, err := identity.New(identity.Config{DB: d, Params: identity.Params{MemoryKiB: 64, Time: 1, Threads: 1}, BaseURL: "https://portal.example"})
	if err != nil {
		t.Fatal(err)
	}
	if f.agent, err = id.CreateStaff(ctx, "agent@northwind.example", "Agent", "a long staff password for tests"); err != nil {
		t.Fatal(err)
	}
	if f.other, err = id.CreateStaff(ctx, "other@northwind.example", "Other", "a long staff password for tests"); err != nil {
		t.Fatal(err)
	}
	if f.annLogin, err = id.CreateCustomerLogin(ctx, f.ann, "a long customer pass phrase"); err != nil {
		t.Fatal(err)
	}
	dbtest.ClockOf(d).Set(time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC))
	return f
}

func count(t *testing.T, d *db.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.Read.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestVerifyTwoOfThree: two of ZIP, last four of the taxpayer ID and date
// of birth pass; fewer fail, the same way whichever was wrong; every
// attempt is recorded and audited without the answers.
func TestVerifyTwoOfThree(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		s := callers.New(d, "Northwind")
		birth, wrongBirth := calendar.MustParse("1980-02-29"), calendar.MustParse("1980-03-01")
		for _, tc := range []struct {
			name    string
			account string
			a       callers.Answers
			pass    bool
		}{
			{"all three", annAccount, callers.Answers{ZIP: "62701", SSNLast4: "1234", BirthDate: birth}, true},
			{"ZIP and SSN", annAccount, callers.Answers{ZIP: "62701", SSNLast4: "1234", BirthDate: wrongBirth}, true},
			{"ZIP+4 and birth", annAccount, callers.Answers{ZIP: "62701-4321", SSNLast4: "4321", BirthDate: birth}, true},
			{"SSN and birth, no ZIP", " " + annAccount + " ", callers.Answers{SSNLast4: " 1234 ", BirthDate: birth}, true},
			{"ZIP only", annAccount, callers.Answers{ZIP: "62701", SSNLast4: "1235", BirthDate: wrongBirth}, false},
			{"SSN only", annAccount, callers.Answers{ZIP: "62702", SSNLast4: "1234"}, false},
			{"birth only", annAccount, callers.Answers{BirthDate: birth}, false},
			{"none given", annAccount, callers.Answers{}, false},
			{"a prefix of the SSN", annAccount, callers.Answers{ZIP: "62701", SSNLast4: "123"}, false},
			{"unknown account", "N-9999", callers.Answers{ZIP: "62701", SSNLast4: "1234", BirthDate: birth}, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				dbtest.ClockOf(d).Add(2 * time.Hour) // each case outside the last one's throttle window
				v, err := s.Verify(ctx, f.agent, "call-1", tc.account, tc.a)
				if tc.pass {
					if err != nil || v.CustomerID != f.ann || v.Method != callers.MethodQuestions || !v.Passed ||
						v.ExpiresAt.Sub(v.CreatedAt) != 30*time.Minute || v.CallID != "call-1" {
						t.Fatalf("Verify: %+v, %v", v, err)
					}
					return
				}
				if !errors.Is(err, callers.ErrNotVerified) || err.Error() != "the caller could not be verified" {
					t.Fatalf("Verify: %v, want the one ErrNotVerified", err)
				}
			})
		}
		if n := count(t, d, `SELECT count(*) FROM caller_verifications WHERE result = 'pass' AND customer_id = $1`, f.ann); n != 4 {
			t.Errorf("%d passes recorded, want 4", n)
		}
		if n := count(t, d, `SELECT count(*) FROM caller_verifications WHERE result = 'fail' AND customer_id IS NULL`); n != 1 {
			t.Errorf("%d failures without a customer, want 1 (the unknown account)", n)
		}
		if n := count(t, d, `SELECT count(*) FROM audit_events WHERE action = 'caller.verify' AND actor = $1`, "staff:"+itoa(f.agent)); n != 10 {
			t.Errorf("%d attempts audited, want 10", n)
		}
		if n := count(t, d, `SELECT count(*) FROM audit_events WHERE action = 'caller.verify' AND subject = $1 AND details LIKE '%"method":"questions"%' AND details LIKE '%"result":"fail"%'`,
			"customer:"+itoa(f.ann)); n != 5 {
			t.Errorf("%d failures of Ann audited with method and result, want 5", n)
		}
		if n := count(t, d, `SELECT count(*) FROM audit_events WHERE details LIKE '%1234%' OR details LIKE '%62701%' OR details LIKE '%1980%'`); n != 0 {
			t.Error("the audit log holds an answer")
		}

		// Refused before anything is recorded.
		before := count(t, d, `SELECT count(*) FROM caller_verifications`)
		if _, err := s.Verify(ctx, f.annLogin, "", annAccount, callers.Answers{ZIP: "62701", SSNLast4: "1234"}); !errors.Is(err, callers.ErrNotStaff) {
			t.Errorf("a customer's login verifying: %v", err)
		}
		if _, err := s.Verify(ctx, f.agent, "", annAccount, callers.Answers{ZIP: strings.Repeat("6", 65)}); !errors.Is(err, callers.ErrInvalid) {
			t.Errorf("a 65-character ZIP: %v", err)
		}
		if n := count(t, d, `SELECT count(*) FROM caller_verifications`); n != before {
			t.Errorf("refused attempts recorded: %d rows, want %d", n, before)
		}
	})
}

// TestThrottles: five failures per customer and thirty per staff member
// in any hour; past them even right answers are refused (and recorded),
// until the hour has passed.
func TestThrottles(t *testing.T) {
	t.Parallel()
	right := callers.Answers{ZIP: "62701", SSNLast4: "1234", BirthDate: calendar.MustParse("1980-02-29")}
	wrong := callers.Answers{ZIP: "00000", SSNLast4: "0000"}
	for _, tc := range []struct {
		name string
		// fail makes the failures: by the agent, against Ann or unknown accounts.
		fails   int
		account string
		// others: whether another staff member (Other) may still verify Ann,
		// and the agent Bob.
		otherMayVerifyAnn, agentMayVerifyBob bool
	}{
		{"per customer", 5, annAccount, false, true},
		{"per staff member", 30, "N-UNKNOWN", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dbtest.Each(t, func(t *testing.T, d *db.DB) {
				ctx := context.Background()
				f := newFixture(t, d)
				s := callers.New(d, "Northwind")
				clock := dbtest.ClockOf(d)
				for i := range tc.fails {
					clock.Add(time.Minute)
					account := tc.account
					if account != annAccount {
						account = fmt.Sprint(account, i)
					}
					if _, err := s.Verify(ctx, f.agent, "", account, wrong); !errors.Is(err, callers.ErrNotVerified) {
						t.Fatalf("failure %d: %v", i+1, err)
					}
				}
				throttledAccount := annAccount
				if !tc.agentMayVerifyBob {
					throttledAccount = bobAccount
				}
				if _, err := s.Verify(ctx, f.agent, "", throttledAccount, right); !errors.Is(err, callers.ErrThrottled) {
					t.Fatalf("right answers past the limit: %v, want ErrThrottled", err)
				}
				if n := count(t, d, `SELECT count(*) FROM audit_events WHERE action = 'caller.verify' AND details LIKE '%"result":"throttled"%'`); n != 1 {
					t.Errorf("%d throttled attempts audited, want 1", n)
				}
				if _, err := s.Verify(ctx, f.other, "", annAccount, right); (err == nil) != tc.otherMayVerifyAnn {
					t.Errorf("another staff member verifying Ann: %v", err)
				}
				if _, err := s.Verify(ctx, f.agent, "", bobAccount, right); (err == nil) != tc.agentMayVerifyBob {
					t.Errorf("the agent verifying Bob: %v", err)
				}
				// An hour after the last failure (the throttled attempt counts as one),
				// the agent may verify Ann again.
				clock.Add(time.Hour + time.Second)
				if _, err := s.Verify(ctx, f.agent, "", annAccount, right); err != nil {
					t.Errorf("an hour later: %v", err)
				}
			})
		})
	}
}

// TestActive: a pass shows the account to its staff member only, for
// the call's thirty minutes; a failure shows nothing.
func TestActive(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		s := callers.New(d, "Northwind")
		clock := dbtest.ClockOf(d)
		if _, err := s.Verify(ctx, f.agent, "", annAccount, callers.Answers{ZIP: "62701"}); !errors.Is(err, callers.ErrNotVerified) {
			t.Fatal(err)
		}
		if _, ok, err := s.Active(ctx, f.agent, f.ann); ok || err != nil {
			t.Fatalf("active after a failure: %v %v", ok, err)
		}
		v, err := s.Verify(ctx, f.agent, "call-7", annAccount, callers.Answers{ZIP: "62701", SSNLast4: "1234"})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name            string
			after           time.Duration
			staff, customer int64
			want            bool
		}{
			{"the agent, at once", 0, f.agent, f.ann, true},
			{"another staff member", 0, f.other, f.ann, false},
			{"another customer", 0, f.agent, f.bob, false},
			{"the agent, 29 minutes on", 29 * time.Minute, f.agent, f.ann, true},
			{"the agent, 30 minutes on", 30 * time.Minute, f.agent, f.ann, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				clock.Set(v.CreatedAt.Add(tc.after))
				got, ok, err := s.Active(ctx, tc.staff, tc.customer)
				if err != nil || ok != tc.want {
					t.Fatalf("Active: %v %v, want %v", ok, err, tc.want)
				}
				if ok && got != v {
					t.Errorf("Active: %+v, want %+v", got, v)
				}
			})
		}
	})
}

// TestMasked: an unverified view shows the name and the account's last
// four characters only.
func TestMasked(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		newFixture(t, d)
		s := callers.New(d, "Northwind")
		got, err := s.Masked(context.Background(), annAccount)
		if err != nil || got != (callers.Summary{Name: "Ann Quinn", Account: "••••0001"}) {
			t.Errorf("Masked: %+v, %v", got, err)
		}
		if _, err := s.Masked(context.Background(), "N-9999"); !errors.Is(err, callers.ErrNotFound) {
			t.Errorf("unknown account: %v", err)
		}
	})
}

var codeIn = regexp.MustCompile(`\b\d{6}\b`)

// sentCode returns the code in the newest message to to.
func sentCode(t *testing.T, d *db.DB, to string) string {
	t.Helper()
	q, err := notify.Outbox(context.Background(), d, to, 100)
	if err != nil || len(q) == 0 {
		t.Fatalf("outbox of %s: %v %+v", to, err, q)
	}
	code := codeIn.FindString(q[len(q)-1].Message.Text)
	if code == "" {
		t.Fatalf("no code in %q", q[len(q)-1].Message.Text)
	}
	return code
}

// TestCode: a code sent to the customer's verified email or phone passes
// once, within ten minutes and five tries, for the staff member who sent
// it; it is stored only as a hash.
func TestCode(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		s := callers.New(d, "Northwind")
		clock := dbtest.ClockOf(d)

		to, err := s.SendCode(ctx, f.agent, "call-9", annAccount, callers.ChannelEmail)
		if err != nil || to != "a•••@example.com" {
			t.Fatalf("SendCode: %q %v", to, err)
		}
		code := sentCode(t, d, "ann@example.com")
		if n := count(t, d, `SELECT count(*) FROM caller_codes WHERE code_hash LIKE $1`, "%"+code+"%"); n != 0 {
			t.Error("the code is stored in the clear")
		}
		if _, err := s.CheckCode(ctx, f.other, "", annAccount, code); !errors.Is(err, callers.ErrNotVerified) {
			t.Errorf("another staff member's check: %v", err)
		}
		if _, err := s.CheckCode(ctx, f.agent, "", bobAccount, code); !errors.Is(err, callers.ErrNotVerified) {
			t.Errorf("checked against another account: %v", err)
		}
		v, err := s.CheckCode(ctx, f.agent, "call-9", annAccount, " "+code+" ")
		if err != nil || v.Method != callers.MethodCode || v.CustomerID != f.ann {
			t.Fatalf("CheckCode: %+v %v", v, err)
		}
		if _, ok, _ := s.Active(ctx, f.agent, f.ann); !ok {
			t.Error("not active after the code")
		}
		if _, err := s.CheckCode(ctx, f.agent, "", annAccount, code); !errors.Is(err, callers.ErrNotVerified) {
			t.Errorf("the code used twice: %v", err)
		}

		for _, tc := range []struct {
			name  string
			wrong int           // wrong tries first
			wait  time.Duration // then this long
			pass  bool
		}{
			{"four wrong tries, then right", 4, 0, true},
			{"five wrong tries, then right", 5, 0, false},
			{"nine minutes on", 0, 9 * time.Minute, true},
			{"ten minutes on", 0, 10 * time.Minute, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				clock.Add(2 * time.Hour) // outside the last case's limits
				if _, err := s.SendCode(ctx, f.agent, "", annAccount, callers.ChannelSMS); err != nil {
					t.Fatal(err)
				}
				code := sentCode(t, d, "+15555550100")
				wrongCode := fmt.Sprintf("%06d", (mustAtoi(t, code)+1)%1_000_000)
				for range tc.wrong {
					if _, err := s.CheckCode(ctx, f.agent, "", annAccount, wrongCode); !errors.Is(err, callers.ErrNotVerified) {
						t.Fatalf("wrong code: %v", err)
					}
				}
				clock.Add(tc.wait)
				if _, err := s.CheckCode(ctx, f.agent, "", annAccount, code); (err == nil) != tc.pass {
					t.Errorf("right code: %v, want pass %v", err, tc.pass)
				}
			})
		}

		for _, tc := range []struct {
			name             string
			by               int64
			account, channel string
			want             error
		}{
			{"no online login", f.agent, bobAccount, callers.ChannelEmail, callers.ErrNoChannel},
			{"unknown account", f.agent, "N-9999", callers.ChannelEmail, callers.ErrNotFound},
			{"unknown channel", f.agent, annAccount, "fax", callers.ErrInvalid},
			{"a customer's login", f.annLogin, annAccount, callers.ChannelEmail, callers.ErrNotStaff},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := count(t, d, `SELECT count(*) FROM outbox`)
				if _, err := s.SendCode(ctx, tc.by, "", tc.account, tc.channel); !errors.Is(err, tc.want) {
					t.Errorf("SendCode: %v, want %v", err, tc.want)
				}
				if n := count(t, d, `SELECT count(*) FROM outbox`); n != before {
					t.Error("a message was sent")
				}
			})
		}

		// Three codes per customer an hour: each is a message to the customer.
		clock.Add(2 * time.Hour)
		for i := range 3 {
			if _, err := s.SendCode(ctx, f.agent, "", annAccount, callers.ChannelEmail); err != nil {
				t.Fatalf("code %d: %v", i+1, err)
			}
		}
		if _, err := s.SendCode(ctx, f.other, "", annAccount, callers.ChannelEmail); !errors.Is(err, callers.ErrThrottled) {
			t.Errorf("a fourth code in the hour: %v", err)
		}
	})
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestThrottleConcurrent: attempts on one customer made at once, by two
// staff members, still check the answers at most five times in the hour.
func TestThrottleConcurrent(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		s := callers.New(d, "Northwind")
		const attempts = 12
		errs := make(chan error, attempts)
		for i := range attempts {
			by := []int64{f.agent, f.other}[i%2]
			go func() {
				_, err := s.Verify(ctx, by, "", annAccount, callers.Answers{ZIP: "00000"})
				errs <- err
			}()
		}
		for range attempts {
			if err := <-errs; !errors.Is(err, callers.ErrNotVerified) && !errors.Is(err, callers.ErrThrottled) {
				t.Errorf("Verify: %v", err)
			}
		}
		for result, want := range map[string]int{"fail": 5, "throttled": attempts - 5} {
			if n := count(t, d, `SELECT count(*) FROM audit_events WHERE action = 'caller.verify' AND details LIKE $1`,
				`%"result":"`+result+`"%`); n != want {
				t.Errorf("%d attempts audited %s, want %d", n, result, want)
			}
		}
	})
}
