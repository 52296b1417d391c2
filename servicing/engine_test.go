package servicing

import (
	"errors"
	"math/rand/v2"
	"testing"

	"carfin/calendar"
	"carfin/finance"
	"carfin/money"
)

var (
	c = money.MustParse
	d = calendar.MustParse
)

func testLoanTerms(t testing.TB, amount string, apr string, term int, start, firstDue string) *Terms {
	t.Helper()
	lt := finance.LoanTerms{AmountCents: c(amount), APR: money.MustParseRate(apr), Term: term, Start: d(start), FirstDue: d(firstDue)}
	ins, err := LoanInstallments(lt)
	if err != nil {
		t.Fatal(err)
	}
	return &Terms{
		ContractID: 1, Kind: KindLoan, APR: lt.APR, GraceDays: 10,
		LateFee:     LateFeeRule{Kind: "greater", FixedCents: c("15"), Rate: money.MustParseRate("5"), CapCents: c("25")},
		NSFFeeCents: c("25"), Waterfall: DefaultLoanWaterfall, PayAhead: PayAheadAdvance,
		ContractDate: lt.Start, AmountFinancedCents: lt.AmountCents, Installments: ins,
	}
}

// run applies events one by one with Apply and checks that Replay of the
// same history reaches the same state and entries.
func run(t *testing.T, terms *Terms, events []Event, through calendar.Date) (State, []Entry) {
	t.Helper()
	var s State
	var all []Entry
	for _, ev := range events {
		var es []Entry
		var err error
		s, es, err = Apply(terms, s, ev)
		if err != nil {
			t.Fatalf("apply %+v: %v", ev, err)
		}
		all = append(all, es...)
	}
	s, es := AdvanceTo(terms, s, through)
	all = append(all, es...)
	rs, rentries, err := Replay(terms, events, through)
	if err != nil {
		t.Fatal(err)
	}
	if rs != s || len(rentries) != len(all) {
		t.Fatalf("replay differs:\n apply  %+v (%d entries)\n replay %+v (%d entries)", s, len(all), rs, len(rentries))
	}
	return s, all
}

// TestWorkedExampleThroughEngine: the worked example posted as
// events gives the same split as finance and the same payoff.
func TestWorkedExampleThroughEngine(t *testing.T) {
	terms := testLoanTerms(t, "20000", "6.99", 60, "2024-01-15", "2024-02-15")
	events := []Event{
		{ID: 1, Kind: EventFunding, Date: d("2024-01-15"), AmountCents: c("20000")},
		{ID: 2, Kind: EventPayment, Date: d("2024-02-15"), AmountCents: c("395.93")},
		{ID: 3, Kind: EventPayment, Date: d("2024-03-15"), AmountCents: c("395.93")},
		{ID: 4, Kind: EventPayment, Date: d("2024-04-15"), AmountCents: c("395.93")},
	}
	s, entries := run(t, terms, events, d("2024-05-01"))
	if s.PrincipalCents != c("19155.86") || s.InterestCents != 0 || s.FeesCents != 0 {
		t.Fatalf("state %+v", s)
	}
	if got := s.payoffAt(terms, d("2024-05-01")); got != c("19214.56") {
		t.Errorf("payoff = %s, want 19214.56", got)
	}
	// The first payment recognised 118.73 of interest and paid 277.20 of principal.
	pay := entries[1]
	want := map[string]money.Cents{AccountCash: c("395.93"), AccountInterestIncome: -c("118.73"), AccountPrincipal: -c("277.20")}
	for _, p := range pay.Postings {
		if want[p.Account] != p.AmountCents {
			t.Errorf("posting %s = %s, want %s", p.Account, p.AmountCents, want[p.Account])
		}
	}
	if s.CreditedCents != 3*c("395.93") {
		t.Errorf("credited = %s", s.CreditedCents)
	}
}

func TestLateFees(t *testing.T) {
	terms := testLoanTerms(t, "10000", "9", 24, "2024-01-01", "2024-02-01")
	fund := Event{ID: 1, Kind: EventFunding, Date: d("2024-01-01"), AmountCents: c("10000")}
	inst := terms.Installments[0].AmountCents // 456.84
	tests := []struct {
		name     string
		events   []Event
		through  string
		wantFees money.Cents
		wantLate int
	}{
		{"paid on the last day of grace: no fee", []Event{fund, {ID: 2, Kind: EventPayment, Date: d("2024-02-11"), AmountCents: inst}}, "2024-02-20", 0, 0},
		{"unpaid through grace: one fee the day after", []Event{fund}, "2024-02-12", c("22.84"), 1},
		{"still unpaid weeks later: still one fee", []Event{fund}, "2024-02-28", c("22.84"), 1},
		{"two installments unpaid: two fees", []Event{fund}, "2024-03-12", 2 * c("22.84"), 2},
		{"short payment is late", []Event{fund, {ID: 2, Kind: EventPayment, Date: d("2024-02-05"), AmountCents: inst - 1}}, "2024-02-12", c("22.84"), 1},
		// No pyramiding: a late fee is owed, then a full, timely payment of
		// the next installment. The payment goes to the installment before
		// fees, so the second installment is not late.
		{"no pyramiding", []Event{fund,
			{ID: 2, Kind: EventPayment, Date: d("2024-02-20"), AmountCents: inst},
			{ID: 3, Kind: EventPayment, Date: d("2024-03-01"), AmountCents: inst}}, "2024-03-20", c("22.84"), 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, entries := run(t, terms, tc.events, d(tc.through))
			late := 0
			for _, e := range entries {
				if e.Kind == "late_fee" {
					late++
				}
			}
			if late != tc.wantLate || s.FeesCents != tc.wantFees {
				t.Errorf("late fees %d (%s owed), want %d (%s)", late, s.FeesCents, tc.wantLate, tc.wantFees)
			}
		})
	}
	// The fee rule: greater of 15.00 and 5 %, capped at 25.00.
	rule := LateFeeRule{Kind: "greater", FixedCents: c("15"), Rate: money.MustParseRate("5"), CapCents: c("25")}
	for amount, want := range map[string]string{"100": "15.00", "456.84": "22.84", "900": "25.00"} {
		if got := rule.Fee(c(amount)); got != c(want) {
			t.Errorf("fee on %s = %s, want %s", amount, got, want)
		}
	}
}

func TestWaterfall(t *testing.T) {
	terms := testLoanTerms(t, "10000", "12", 24, "2024-01-01", "2024-02-01")
	fund := Event{ID: 1, Kind: EventFunding, Date: d("2024-01-01"), AmountCents: c("10000")}
	nsf := Event{ID: 2, Kind: EventNSFFee, Date: d("2024-01-20"), AmountCents: c("25")}
	inst := terms.Installments[0].AmountCents
	// A payment of the installment + 100 on the due date: interest, then
	// the principal due, then the 25.00 fee, then 75.00 extra principal.
	s, entries := run(t, terms, []Event{fund, nsf, {ID: 3, Kind: EventPayment, Date: d("2024-02-01"), AmountCents: inst + c("100")}}, d("2024-02-01"))
	interest := finance.Interest(c("10000"), money.MustParseRate("12"), d("2024-01-01"), d("2024-02-01"), finance.Basis365)
	wantPrincipal := c("10000") - (inst - interest) - c("75")
	if s.FeesCents != 0 || s.PrincipalCents != wantPrincipal {
		t.Errorf("state %+v, want principal %s", s, wantPrincipal)
	}
	// Pay-ahead: the 75.00 extra counts toward the next installment.
	if s.CreditedCents != inst+c("75") {
		t.Errorf("credited %s, want %s", s.CreditedCents, inst+c("75"))
	}
	last := entries[len(entries)-1]
	if last.Kind != "payment" {
		t.Fatalf("last entry %+v", last)
	}
	// Principal-only pay-ahead does not advance the schedule.
	po := *terms
	po.PayAhead = PayAheadPrincipal
	s2, _ := run(t, &po, []Event{fund, nsf, {ID: 3, Kind: EventPayment, Date: d("2024-02-01"), AmountCents: inst + c("100")}}, d("2024-02-01"))
	if s2.CreditedCents != inst || s2.PrincipalCents != wantPrincipal {
		t.Errorf("principal-only: %+v", s2)
	}
	// A fees-first waterfall pays the fee before the installment.
	ff := *terms
	ff.Waterfall = []Bucket{BucketFees, BucketInterest, BucketPrincipalDue, BucketPrincipal}
	s3, _ := run(t, &ff, []Event{fund, nsf, {ID: 3, Kind: EventPayment, Date: d("2024-02-01"), AmountCents: inst}}, d("2024-02-01"))
	if s3.FeesCents != 0 || s3.CreditedCents != inst-c("25") {
		t.Errorf("fees first: %+v", s3)
	}
	// A payment that only pays the fee pays no interest, though it
	// recognises the interest accrued (issue 11: the schedule page and
	// the history show what each payment paid from this split).
	_, fe := run(t, &ff, []Event{fund, nsf, {ID: 3, Kind: EventPayment, Date: d("2024-02-01"), AmountCents: c("25")}}, d("2024-02-01"))
	if a := applicationOf(fe, 3); a != (Application{FeesCents: c("25")}) {
		t.Errorf("a fee-only payment paid %+v, want the 25.00 fee only", a)
	}
}

func TestPaymentErrors(t *testing.T) {
	terms := testLoanTerms(t, "1000", "10", 12, "2024-01-01", "2024-02-01")
	s, _, err := Apply(terms, State{}, Event{ID: 1, Kind: EventFunding, Date: d("2024-01-01"), AmountCents: c("1000")})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		ev   Event
		err  error
	}{
		{"zero", Event{ID: 2, Kind: EventPayment, Date: d("2024-02-01"), AmountCents: 0}, ErrAmount},
		{"negative", Event{ID: 2, Kind: EventPayment, Date: d("2024-02-01"), AmountCents: -5}, ErrAmount},
		{"before funding", Event{ID: 2, Kind: EventPayment, Date: d("2023-12-31"), AmountCents: 5}, ErrBeforeFunding},
		{"over payoff", Event{ID: 2, Kind: EventPayment, Date: d("2024-02-01"), AmountCents: c("2000")}, ErrOverpayment},
		{"payoff not exact", Event{ID: 2, Kind: EventPayoff, Date: d("2024-02-01"), AmountCents: c("1000")}, ErrPayoffAmount},
		{"waive more than owed", Event{ID: 2, Kind: EventFeeWaiver, Date: d("2024-02-01"), AmountCents: c("1")}, ErrNoFees},
		{"turn in a loan", Event{ID: 2, Kind: EventTurnIn, Date: d("2024-02-01"), Odometer: 5}, ErrWrongKind},
	}
	for _, tc := range tests {
		got, entries, err := Apply(terms, s, tc.ev)
		if !errors.Is(err, tc.err) || got != s || entries != nil {
			t.Errorf("%s: err %v, want %v; state changed: %v", tc.name, err, tc.err, got != s)
		}
	}
	// Paying exactly the payoff closes the loan; nothing more is accepted.
	payoff := s.payoffAt(terms, d("2024-02-10"))
	s2, entries, err := Apply(terms, s, Event{ID: 3, Kind: EventPayoff, Date: d("2024-02-10"), AmountCents: payoff})
	if err != nil || s2.Status != StatusPaidOff || entries[0].Kind != "payoff" {
		t.Fatalf("payoff: %+v %v", s2, err)
	}
	if _, _, err := Apply(terms, s2, Event{ID: 4, Kind: EventPayment, Date: d("2024-02-11"), AmountCents: 1}); !errors.Is(err, ErrClosed) {
		t.Errorf("payment on a paid-off loan: %v", err)
	}
}

func TestLeaseEngine(t *testing.T) {
	p, err := finance.LeaseMonthly(finance.LeaseTerms{GrossCapCostCents: c("22700"), CapCostReductionCents: c("2700"),
		ResidualCents: c("8000"), MoneyFactor: 400000, Term: 48, TaxRate: money.MustParseRate("6")})
	if err != nil {
		t.Fatal(err)
	}
	ins, err := LeaseInstallments(p, c("8000"), 48, d("2024-02-01"), 0)
	if err != nil {
		t.Fatal(err)
	}
	terms := &Terms{Kind: KindLease, GraceDays: 10, LateFee: LateFeeRule{Kind: "fixed", FixedCents: c("20")},
		Waterfall: DefaultLeaseWaterfall, PayAhead: PayAheadAdvance, ContractDate: d("2024-01-01"),
		AmountFinancedCents: p.AdjustedCapCostCents, Installments: ins, ResidualCents: c("8000"),
		PurchaseOptionCents: c("8000"), PurchaseFeeCents: c("300"), DispositionFeeCents: c("395"),
		MileageAllowance: 48000, ExcessMileRateCents: c("0.25"), OdometerStart: 10}
	events := []Event{{ID: 1, Kind: EventFunding, Date: d("2024-01-01"), AmountCents: p.AdjustedCapCostCents}}
	for k := range 48 {
		events = append(events, Event{ID: int64(k + 2), Kind: EventPayment, Date: ins[k].Date, AmountCents: ins[k].AmountCents})
	}
	s, entries := run(t, terms, events, d("2028-01-15"))
	// After 48 billings and payments the investment is exactly the residual.
	if s.PrincipalCents != c("8000") || s.BilledCents != 0 || s.FeesCents != 0 || s.Status != StatusMatured {
		t.Fatalf("lease state %+v", s)
	}
	bills := 0
	for _, e := range entries {
		if e.Kind == "lease_billing" {
			bills++
		}
	}
	if bills != 48 || ins[0].AmountCents != c("383.72") { // 362.00 + 6 % tax 21.72
		t.Errorf("%d bills, installment %s", bills, ins[0].AmountCents)
	}
	// Past the end date (2028-01-01) the lease is matured until the car is
	// bought or returned.
	// Turn-in with 4,000 miles over: disposition 395 + 1,000 mileage.
	s2, es, err := Apply(terms, s, Event{ID: 100, Kind: EventTurnIn, Date: d("2028-02-05"), Odometer: 52010})
	if err != nil || s2.Status != StatusTerminated || s2.FeesCents != c("1395") || s2.PrincipalCents != 0 {
		t.Fatalf("turn-in: %+v %v %v", s2, es, err)
	}
	// The fees are still collectable.
	s3, _, err := Apply(terms, s2, Event{ID: 101, Kind: EventPayment, Date: d("2028-02-10"), AmountCents: c("1395")})
	if err != nil || s3.FeesCents != 0 {
		t.Fatalf("pay turn-in fees: %+v %v", s3, err)
	}
}

// TestApplyMatchesReplay is a property: for random in-order histories,
// applying events one at a time and replaying the whole history agree, and
// every entry balances (compact panics otherwise).
func TestApplyMatchesReplay(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for i := range 300 {
		amount := money.Cents(5000_00 + rng.Int64N(60000_00))
		terms := testLoanTerms(t, amount.String(), money.Rate(rng.Int64N(20*money.RateScale)).String(), 12+rng.IntN(60), "2023-03-10", "2023-04-10")
		events := []Event{{ID: 1, Kind: EventFunding, Date: d("2023-03-10"), AmountCents: amount}}
		date := d("2023-03-10")
		var s State
		s, _, _ = Apply(terms, s, events[0])
		for id := int64(2); id < 40 && s.Status.Open(); id++ {
			date = date.AddDays(1 + rng.IntN(45))
			var ev Event
			switch rng.IntN(10) {
			case 0:
				ev = Event{ID: id, Kind: EventNSFFee, Date: date, AmountCents: c("25")}
			case 1:
				if s.FeesCents == 0 {
					continue
				}
				ev = Event{ID: id, Kind: EventFeeWaiver, Date: date, AmountCents: 1 + money.Cents(rng.Int64N(int64(s.FeesCents)))}
			default:
				max := s.payoffAt(terms, date)
				ev = Event{ID: id, Kind: EventPayment, Date: date, AmountCents: 1 + money.Cents(rng.Int64N(int64(max)))}
			}
			next, _, err := Apply(terms, s, ev)
			if err != nil {
				t.Fatalf("case %d: %+v: %v", i, ev, err)
			}
			s = next
			events = append(events, ev)
		}
		run(t, terms, events, date.AddDays(30))
	}
}
