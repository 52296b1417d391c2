package finance

import (
	"errors"
	"math/rand/v2"
	"testing"

	"carfin/calendar"
	"carfin/money"
)

var (
	c = money.MustParse
	r = money.MustParseRate
	d = calendar.MustParse
)

// TestScheduledPayment: worked examples from the issue and the standard
// amortisation formula (checked by hand and with an independent decimal
// calculation).
func TestScheduledPayment(t *testing.T) {
	tests := []struct {
		name   string
		amount string
		apr    string
		term   int
		want   string
	}{
		{"issue: 20,000 at 6.99% for 60", "20000.00", "6.99", 60, "395.93"},
		{"issue: 6,000 at 6% for 36", "6000", "6", 36, "182.53"},
		{"0% promotional: P/n half up", "20000.00", "0", 60, "333.33"},
		{"0% rounds up", "1000.00", "0", 6, "166.67"},
		{"one payment = P(1+r)", "1000.00", "12", 1, "1010.00"},
		{"Fineract RS02 EMI 5000 at 12% for 18", "5000", "12", 18, "304.91"},
		{"long term 84", "35000", "9.99", 84, "580.86"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ScheduledPayment(c(tc.amount), r(tc.apr), tc.term)
			if err != nil || got.String() != tc.want {
				t.Fatalf("ScheduledPayment = %s, %v; want %s", got, err, tc.want)
			}
		})
	}
	for _, bad := range []struct {
		amount money.Cents
		term   int
	}{{0, 60}, {-1, 60}, {100, 0}, {100, 601}} {
		if _, err := ScheduledPayment(bad.amount, r("5"), bad.term); err == nil {
			t.Errorf("ScheduledPayment(%d, %d) accepted", bad.amount, bad.term)
		}
	}
}

// TestWorkedDailyInterest is the worked example: 20,000.00 at
// 6.99 % funded 2024-01-15, paying 395.93 monthly.
func TestWorkedDailyInterest(t *testing.T) {
	s, err := ProjectSchedule(LoanTerms{AmountCents: c("20000"), APR: r("6.99"), Term: 60,
		Start: d("2024-01-15"), FirstDue: d("2024-02-15")})
	if err != nil {
		t.Fatal(err)
	}
	want := [][4]string{
		{"2024-02-15", "118.73", "277.20", "19722.80"},
		{"2024-03-15", "109.53", "286.40", "19436.40"},
		{"2024-04-15", "115.39", "280.54", "19155.86"},
	}
	for i, w := range want {
		in := s.Installments[i]
		got := [4]string{in.Due.String(), in.InterestCents.String(), in.PrincipalCents.String(), in.BalanceCents.String()}
		if got != w {
			t.Errorf("installment %d = %v, want %v", i+1, got, w)
		}
	}
	q, applied, err := PayoffAfter(c("20000"), r("6.99"), d("2024-01-15"),
		[]Paid{{d("2024-02-15"), c("395.93")}, {d("2024-03-15"), c("395.93")}, {d("2024-04-15"), c("395.93")}},
		d("2024-05-01"), Basis365)
	if err != nil {
		t.Fatal(err)
	}
	if q.PayoffCents.String() != "19214.56" || q.InterestCents.String() != "58.70" || q.PrincipalCents.String() != "19155.86" {
		t.Errorf("payoff = %+v, want 19214.56 (interest 58.70)", q)
	}
	if q.PerDiemCents.String() != "3.67" {
		t.Errorf("per diem = %s", q.PerDiemCents)
	}
	if applied[2].InterestCents.String() != "115.39" {
		t.Errorf("applied = %+v", applied[2])
	}
}

// TestFineractRS03 reproduces Apache Fineract's published schedule RS03
// (fineract-e2e-tests-runner LoanRepayment.feature): 5,000 at 12 % for 18
// months from 2022-11-01 (February 2024 interest is still /365, not /366), declining
// balance with daily interest on actual days, installment 305.00: total
// interest 487.33, first interest 49.32, final installment 302.33.
func TestFineractRS03(t *testing.T) {
	s, err := ProjectSchedule(LoanTerms{AmountCents: c("5000"), APR: r("12"), Term: 18,
		Start: d("2022-11-01"), FirstDue: d("2022-12-01"), PaymentCents: c("305.00")})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Installments[0].InterestCents.String(); got != "49.32" {
		t.Errorf("first interest = %s, want 49.32", got)
	}
	if got := s.FinanceChargeCents.String(); got != "487.33" {
		t.Errorf("total interest = %s, want 487.33", got)
	}
	if last := s.Installments[len(s.Installments)-1]; last.PaymentCents.String() != "302.33" {
		t.Errorf("final installment = %s, want 302.33", last.PaymentCents)
	}
}

func TestZeroPercentSchedule(t *testing.T) {
	s, err := ProjectSchedule(LoanTerms{AmountCents: c("20000"), APR: 0, Term: 60,
		Start: d("2024-01-31"), FirstDue: d("2024-02-29"), DueDay: 31})
	if err != nil {
		t.Fatal(err)
	}
	if s.FinanceChargeCents != 0 || s.TotalOfPaymentsCents != c("20000") {
		t.Errorf("totals %+v", s)
	}
	last := s.Installments[59]
	if last.PaymentCents.String() != "20000.00" && last.PaymentCents != c("20000")-59*c("333.33") {
		t.Errorf("last payment %s", last.PaymentCents)
	}
	// Due on the 31st: Feb 29, then Mar 31, then Apr 30.
	for i, want := range []string{"2024-02-29", "2024-03-31", "2024-04-30"} {
		if got := s.Installments[i].Due.String(); got != want {
			t.Errorf("due %d = %s, want %s", i+1, got, want)
		}
	}
}

func TestActualActual(t *testing.T) {
	// 2024 is a leap year: a 31-day span in 2024 at actual/actual is
	// balance × APR × 31/366.
	got := Interest(c("20000"), r("6.99"), d("2024-01-15"), d("2024-02-15"), BasisActual)
	if got.String() != "118.41" { // 20000 × .0699 × 31/366 = 118.409…
		t.Errorf("actual/actual = %s", got)
	}
	// A span over New Year: 17 days of 2023 /365 + 14 days of 2024 /366.
	got = Interest(c("10000"), r("10"), d("2023-12-15"), d("2024-01-15"), BasisActual)
	if got.String() != "84.83" { // 10000×.1×(17/365+14/366) = 46.575+38.251 = 84.826
		t.Errorf("actual/actual over year end = %s", got)
	}
}

func TestPayoffRules(t *testing.T) {
	start := d("2024-01-01")
	// A payment below the accrued interest pays interest only; the rest
	// stays owed and is not capitalised.
	q, applied, err := PayoffAfter(c("10000"), r("12"), start, []Paid{{d("2024-03-01"), c("50")}}, d("2024-03-01"), Basis365)
	if err != nil {
		t.Fatal(err)
	}
	// 60 days at 12 % on 10,000 = 197.26; 50 paid; 147.26 unpaid.
	if applied[0].InterestCents != c("50") || applied[0].PrincipalCents != 0 || applied[0].UnpaidInterest != c("147.26") {
		t.Errorf("applied = %+v", applied[0])
	}
	if q.PrincipalCents != c("10000") || q.InterestCents != c("147.26") {
		t.Errorf("quote = %+v", q)
	}
	// Interest keeps accruing on principal only.
	q2, _, _ := PayoffAfter(c("10000"), r("12"), start, []Paid{{d("2024-03-01"), c("50")}}, d("2024-03-31"), Basis365)
	if want := c("147.26") + Interest(c("10000"), r("12"), d("2024-03-01"), d("2024-03-31"), Basis365); q2.InterestCents != want {
		t.Errorf("later quote interest = %s, want %s", q2.InterestCents, want)
	}
	bad := []struct {
		name     string
		payments []Paid
		on       calendar.Date
		err      error
	}{
		{"payment before start", []Paid{{d("2023-12-31"), c("10")}}, d("2024-02-01"), ErrDates},
		{"payments out of order", []Paid{{d("2024-02-01"), c("10")}, {d("2024-01-15"), c("10")}}, d("2024-03-01"), ErrDates},
		{"quote before last payment", []Paid{{d("2024-02-01"), c("10")}}, d("2024-01-20"), ErrDates},
		{"zero payment", []Paid{{d("2024-02-01"), 0}}, d("2024-03-01"), ErrAmount},
		{"overpayment", []Paid{{d("2024-02-01"), c("20000")}}, d("2024-03-01"), ErrOverpayment},
	}
	for _, tc := range bad {
		if _, _, err := PayoffAfter(c("10000"), r("12"), start, tc.payments, tc.on, Basis365); !errors.Is(err, tc.err) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.err)
		}
	}
	// Paying exactly the payoff leaves nothing.
	exact, _, _ := PayoffAfter(c("10000"), r("12"), start, nil, d("2024-02-01"), Basis365)
	q3, _, err := PayoffAfter(c("10000"), r("12"), start, []Paid{{d("2024-02-01"), exact.PayoffCents}}, d("2024-02-01"), Basis365)
	if err != nil || q3.PayoffCents != 0 {
		t.Errorf("after paying the payoff: %+v, %v", q3, err)
	}
}

// TestLeaseFederalReserve is the Federal Reserve "Keys to Vehicle Leasing"
// example quoted in the issue.
func TestLeaseFederalReserve(t *testing.T) {
	p, err := LeaseMonthly(LeaseTerms{GrossCapCostCents: c("22700"), CapCostReductionCents: c("2700"),
		ResidualCents: c("8000"), MoneyFactor: 400000, Term: 48})
	if err != nil {
		t.Fatal(err)
	}
	if p.DepreciationCents != c("250") || p.RentChargeCents != c("112") || p.BasePaymentCents != c("362") || p.PaymentCents != c("362") {
		t.Errorf("lease = %+v", p)
	}
	p, _ = LeaseMonthly(LeaseTerms{GrossCapCostCents: c("22700"), CapCostReductionCents: c("2700"),
		ResidualCents: c("8000"), MoneyFactor: 400000, Term: 48, TaxRate: r("7.25")})
	if p.TaxCents != c("26.25") || p.PaymentCents != c("388.25") {
		t.Errorf("lease with tax = %+v", p)
	}
	for _, bad := range []LeaseTerms{
		{GrossCapCostCents: 0, ResidualCents: 1, Term: 36},
		{GrossCapCostCents: c("100"), CapCostReductionCents: c("100"), Term: 36},
		{GrossCapCostCents: c("100"), ResidualCents: c("200"), Term: 36},
		{GrossCapCostCents: c("100"), ResidualCents: c("50"), Term: 0},
	} {
		if _, err := LeaseMonthly(bad); !errors.Is(err, ErrLease) {
			t.Errorf("LeaseMonthly(%+v) err = %v", bad, err)
		}
	}
}

func TestLeaseEnd(t *testing.T) {
	e, err := QuoteLeaseEnd(LeaseEndTerms{PurchaseOptionCents: c("8000"), PurchaseFeeCents: c("300"),
		DispositionFeeCents: c("395"), MileageAllowance: 36000, ExcessMileRateCents: c("0.25"),
		OdometerAtSigning: 12, OdometerAtEnd: 40012})
	if err != nil {
		t.Fatal(err)
	}
	if e.ExcessMiles != 4000 || e.ExcessMileageCents != c("1000") || e.TurnInCents != c("1395") || e.PurchaseCents != c("8300") {
		t.Errorf("lease end = %+v", e)
	}
	if _, err := QuoteLeaseEnd(LeaseEndTerms{OdometerAtSigning: 100, OdometerAtEnd: 50}); !errors.Is(err, ErrLease) {
		t.Errorf("odometer rollback accepted: %v", err)
	}
}

// TestSchedulePrincipalSums is a property: for random terms, the principal
// of a projected schedule sums to the amount financed, balances never go
// negative, and total of payments = amount financed + finance charge.
func TestSchedulePrincipalSums(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		amount := money.Cents(100_00 + rng.Int64N(150_000_00))
		apr := money.Rate(rng.Int64N(30 * money.RateScale))
		term := 1 + rng.IntN(96)
		start := d("2020-01-01").AddDays(rng.IntN(2000))
		first := start.AddDays(15 + rng.IntN(30))
		basis := DayCount(rng.IntN(2))
		s, err := ProjectSchedule(LoanTerms{AmountCents: amount, APR: apr, Term: term, Start: start, FirstDue: first, DayCount: basis})
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		var principal money.Cents
		for _, in := range s.Installments {
			principal += in.PrincipalCents
			if in.BalanceCents < 0 || in.PrincipalCents < 0 || in.InterestCents < 0 {
				t.Fatalf("case %d: negative row %+v", i, in)
			}
		}
		if principal != amount || s.Installments[len(s.Installments)-1].BalanceCents != 0 {
			t.Fatalf("case %d: principal sums to %s of %s", i, principal, amount)
		}
		if s.TotalOfPaymentsCents != amount+s.FinanceChargeCents {
			t.Fatalf("case %d: totals %+v", i, s)
		}
	}
}

// TestPayoffMonotone is a property: the payoff grows with the days to the
// payoff date, by at most one per diem (plus a rounding cent) a day.
func TestPayoffMonotone(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		amount := money.Cents(1000_00 + rng.Int64N(80_000_00))
		apr := money.Rate(rng.Int64N(25 * money.RateScale))
		start := d("2024-01-10")
		prev := money.Cents(0)
		for days := range 400 {
			q, _, err := PayoffAfter(amount, apr, start, nil, start.AddDays(days), Basis365)
			if err != nil {
				t.Fatal(err)
			}
			if q.PayoffCents < prev || (days > 0 && q.PayoffCents-prev > q.PerDiemCents+1) {
				t.Fatalf("payoff at day %d = %s after %s (per diem %s)", days, q.PayoffCents, prev, q.PerDiemCents)
			}
			prev = q.PayoffCents
		}
	}
}

// TestAccrueDaysSplitInvariant: accruing day by day with carried
// remainders gives exactly the interest of the whole span.
func TestAccrueDaysSplitInvariant(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 1000 {
		a := Accrual{PrincipalCents: money.Cents(rng.Int64N(10_000_000_00)), APR: money.Rate(rng.Int64N(40 * money.RateScale))}
		days := 1 + rng.IntN(60)
		acc := []Accrual{a}
		for range days {
			AccrueDays(acc, 1)
		}
		want := Interest(a.PrincipalCents, a.APR, d("2024-01-01"), d("2024-01-01").AddDays(days), Basis365)
		if acc[0].Rounded() != want {
			t.Fatalf("%+v over %d days: %s, want %s", a, days, acc[0].Rounded(), want)
		}
	}
}

func FuzzPayoff(f *testing.F) {
	f.Add(int64(2000000), int64(69900), 31, int64(39593), 30)
	f.Fuzz(func(t *testing.T, amount, apr int64, day1 int, pay int64, day2 int) {
		if apr < 0 || apr > 1000*money.RateScale || amount > 1e13 || pay > 1e13 || day1 < 0 || day2 < 0 || day1 > 5000 || day2 > 5000 {
			return
		}
		start := d("2024-01-01")
		q, _, err := PayoffAfter(money.Cents(amount), money.Rate(apr), start,
			[]Paid{{start.AddDays(day1), money.Cents(pay)}}, start.AddDays(day1+day2), Basis365)
		if err != nil {
			return
		}
		if q.PayoffCents < 0 || q.PrincipalCents > money.Cents(amount) {
			t.Fatalf("quote %+v", q)
		}
	})
}

func BenchmarkSchedule84(b *testing.B) {
	terms := LoanTerms{AmountCents: c("35000"), APR: r("9.99"), Term: 84, Start: d("2024-01-15"), FirstDue: d("2024-02-15")}
	for b.Loop() {
		if _, err := ProjectSchedule(terms); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPayoffAfter84(b *testing.B) {
	terms := LoanTerms{AmountCents: c("35000"), APR: r("9.99"), Term: 84, Start: d("2024-01-15"), FirstDue: d("2024-02-15")}
	s, _ := ProjectSchedule(terms)
	paid := make([]Paid, 0, 83)
	for _, in := range s.Installments[:83] {
		paid = append(paid, Paid{in.Due, in.PaymentCents})
	}
	on := s.Installments[83].Due
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := PayoffAfter(terms.AmountCents, terms.APR, terms.Start, paid, on, Basis365); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAccrueMillion accrues one day for 1,000,000 contracts in memory;
// the bar is under 50 ms on one core (run with -cpu 1).
func BenchmarkAccrueMillion(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	acc := make([]Accrual, 1_000_000)
	for i := range acc {
		acc[i] = Accrual{PrincipalCents: money.Cents(500_00 + rng.Int64N(60_000_00)), APR: money.Rate(rng.Int64N(25 * money.RateScale))}
	}
	b.ResetTimer()
	for b.Loop() {
		AccrueDays(acc, 1)
	}
}

// TestSimulate: a plan that pays the schedule reproduces its interest; an
// extra amount each month or a lump sum ends the loan earlier and saves
// interest; the savings grow with the extra.
func TestSimulate(t *testing.T) {
	terms := LoanTerms{AmountCents: c("20000"), APR: r("6.99"), Term: 60, Start: d("2024-01-15"), FirstDue: d("2024-02-15")}
	s, err := ProjectSchedule(terms)
	if err != nil {
		t.Fatal(err)
	}
	dues := make([]calendar.Date, len(s.Installments))
	for i, in := range s.Installments {
		dues[i] = in.Due
	}
	base := Plan{PrincipalCents: c("20000"), APR: r("6.99"), InterestFrom: d("2024-01-15"), DueDates: dues, PaymentCents: s.PaymentCents}
	o, err := Simulate(base)
	if err != nil {
		t.Fatal(err)
	}
	if o.InterestCents != s.FinanceChargeCents || o.PayoffDate != dues[59] || o.Payments != 60 {
		t.Errorf("baseline %+v, schedule interest %s", o, s.FinanceChargeCents)
	}
	prev := o.InterestCents
	for _, extra := range []string{"25", "100", "500"} {
		p := base
		p.ExtraCents = c(extra)
		e, err := Simulate(p)
		if err != nil {
			t.Fatal(err)
		}
		if e.InterestCents >= prev || e.PayoffDate >= o.PayoffDate {
			t.Errorf("extra %s: %+v does not improve on %s", extra, e, prev)
		}
		prev = e.InterestCents
	}
	p := base
	p.LumpCents, p.LumpOn = c("5000"), d("2025-01-01")
	l, err := Simulate(p)
	if err != nil || l.InterestCents >= o.InterestCents || l.PayoffDate >= o.PayoffDate {
		t.Errorf("lump: %+v %v", l, err)
	}
	// A lump sum larger than the balance pays it off on its date.
	p.LumpCents = c("30000")
	l, err = Simulate(p)
	if err != nil || l.PayoffDate != d("2025-01-01") {
		t.Errorf("big lump: %+v %v", l, err)
	}
	if _, err := Simulate(Plan{PrincipalCents: -1}); err == nil {
		t.Error("negative principal accepted")
	}
}
