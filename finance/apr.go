package finance

import (
	"cmp"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"time"

	"carfin/calendar"
	"carfin/money"
)

// This file computes the annual percentage rate of a closed-end credit
// transaction by the actuarial method of Regulation Z Appendix J
// (12 CFR 1026, App. J), with the general equation of App. J (b)(8):
//
//	Σₖ Aₖ / ((1 + eₖ·i)(1 + i)^qₖ)  =  Σⱼ Pⱼ / ((1 + fⱼ·i)(1 + i)^tⱼ)
//
// where Aₖ are the advances and Pⱼ the payments, qₖ and tⱼ the full unit
// periods and eₖ and fⱼ the fractions of a unit period from the beginning
// of the term to each of them (App. J (b)(5)), and i the rate per unit
// period. A fraction of a unit period earns simple interest, hence the
// factor (1 + f·i). The APR is i × unit periods per year (App. J (b)(1)).
//
// App. J (b)(9) asks an iterative solution for enough iterations "to make
// virtually certain that the annual percentage rate obtained, when rounded
// to 2 decimals, is correct". APR makes it certain: it evaluates the sign
// of the equation exactly, in integers, at the midpoints between
// two-decimal rates and bisects between them, so the rounding is exact.

// Unit is the unit period of App. J (b)(4): the common period, not over a
// year, that occurs most frequently in the transaction. The caller chooses
// it from the contract's payment frequency; a monthly car loan is
// UnitMonth.
type Unit int

// The unit periods carfin supports. The zero Unit is invalid.
const (
	UnitMonth     Unit = iota + 1 // 12 a year; fraction = days/30
	UnitSemimonth                 // 24 a year; fraction = days/15
	UnitQuarter                   // 4 a year; fraction = days/90
	UnitWeek                      // 52 a year; fraction = days/7
	UnitBiweek                    // 26 a year; fraction = days/14
	UnitFourWeek                  // 13 a year; fraction = days/28
)

// Errors of the APR computation. Each is wrapped with the detail that
// failed; callers branch with errors.Is.
var (
	ErrUnit                 = errors.New("unknown unit period (month, semimonth, quarter, week, biweek, 4week)")
	ErrNoAdvance            = errors.New("no advance")
	ErrNoPayment            = errors.New("no payment")
	ErrNonPositive          = errors.New("amount must be positive")
	ErrFlowDate             = errors.New("advance or payment without a date")
	ErrPaymentBeforeAdvance = errors.New("payment before the first advance")
	ErrAPRLimit             = errors.New("transaction beyond the APR limits")
	ErrNoSolution           = errors.New("no APR between 0 and 1000 %")
)

// Limits of the APR computation (STYLE: put a limit on everything).
const (
	// aprHundredthsMax is the largest APR returned, 1,000.00 %, in
	// hundredths of a percent; money.Rate refuses more as well.
	aprHundredthsMax = 1000_00
	// aprBisectionStepsMax bounds the bisection over the hundredths of a
	// percent: 17 steps cover 0–1,000.00 %, so reaching 64 is a bug.
	aprBisectionStepsMax = 64
	// aprUnitPeriodsMax bounds the term: 2,000 unit periods are 166 years
	// of months or 38 years of weeks, beyond any consumer contract. It also
	// bounds the size of the integers in the exact evaluation.
	aprUnitPeriodsMax = 2000
	// aprFlowsMax bounds the number of advances plus payments.
	aprFlowsMax = 2000
	// aprRateDenominator turns a rate in halves of a hundredth of a percent
	// (the midpoints between two-decimal APRs) into a yearly decimal:
	// h/2 hundredths of a percent = h / 20,000.
	aprRateDenominator = 20_000
)

// ParseUnit reads a unit period name: "month", "semimonth", "quarter",
// "week", "biweek" or "4week". It returns ErrUnit for anything else.
func ParseUnit(s string) (Unit, error) {
	for u := UnitMonth; u <= UnitFourWeek; u++ {
		if u.String() == s {
			return u, nil
		}
	}
	return 0, fmt.Errorf("%q: %w", s, ErrUnit)
}

// String returns the name ParseUnit reads, or "" for an invalid Unit.
func (u Unit) String() string {
	switch u {
	case UnitMonth:
		return "month"
	case UnitSemimonth:
		return "semimonth"
	case UnitQuarter:
		return "quarter"
	case UnitWeek:
		return "week"
	case UnitBiweek:
		return "biweek"
	case UnitFourWeek:
		return "4week"
	}
	return ""
}

func (u Unit) valid() bool { return u >= UnitMonth && u <= UnitFourWeek }

// PerYear returns the number of unit periods in a year (App. J (b)(5)(ii)–
// (iv)): 12 months, 24 semimonths, 4 quarters, 52 weeks, 26 two-week
// periods, 13 four-week periods. It returns 0 for an invalid Unit.
func (u Unit) PerYear() int {
	switch u {
	case UnitMonth:
		return 12
	case UnitSemimonth:
		return 24
	case UnitQuarter:
		return 4
	case UnitWeek:
		return 52
	case UnitBiweek:
		return 26
	case UnitFourWeek:
		return 13
	}
	return 0
}

// DaysPerUnit returns the divisor of the fractional unit period (App. J
// (b)(5)(ii)–(iv)): 30 for a month (all months are equal, (b)(3)(iv)), 15
// for a semimonth, 90 for a quarter, and 7, 14 or 28 for the weekly units.
// It returns 0 for an invalid Unit.
func (u Unit) DaysPerUnit() int {
	switch u {
	case UnitMonth:
		return 30
	case UnitSemimonth:
		return 15
	case UnitQuarter:
		return 90
	case UnitWeek:
		return 7
	case UnitBiweek:
		return 14
	case UnitFourWeek:
		return 28
	}
	return 0
}

// monthBased reports whether the unit counts calendar months back from the
// later date (App. J (b)(5)(ii), (iii)) rather than days ((b)(5)(iv)).
func (u Unit) monthBased() bool {
	return u == UnitMonth || u == UnitSemimonth || u == UnitQuarter
}

// Span is a time interval counted in unit periods the way App. J (b)(5)
// counts it: Whole full unit periods plus a fraction Days/DaysPerUnit of a
// unit period, which earns simple interest.
type Span struct {
	Whole       int
	Days        int
	DaysPerUnit int
}

// UnitSpan returns the time from one date to a later one in unit periods
// of u, by App. J (b)(5):
//
//   - Month, (b)(5)(ii): full months measured back from the later date;
//     the days left from the earlier date to the start of the first full
//     month are the fraction, divided by 30.
//   - Semimonth and quarter, (b)(5)(iii): the number of days is 30 times
//     the full months measured back from the later date, plus the days
//     left; that number divided by 15 (semimonth) or 90 (quarter) gives the
//     full unit periods and, as its remainder, the fraction.
//   - Week, two weeks, four weeks, (b)(5)(iv): the actual days between the
//     dates divided by 7, 14 or 28.
//
// Months are measured from a date to the same date of another month
// ((b)(3)(iv)). When the later date is the last day of its month and the
// series it belongs to is scheduled for a later day (the 29th, 30th or
// 31st, "the last day of February shall be used when applicable"), dueDay
// names that day, so that 28 February of a series due on the 30th is
// measured back to 30 January and of a month-end series to 31 January.
// dueDay 0 means the later date's own day; it is ignored for weekly units.
//
// UnitSpan returns ErrUnit for an invalid unit and ErrFlowDate if a date is
// missing or the dates are out of order.
func UnitSpan(u Unit, from, to calendar.Date, dueDay int) (Span, error) {
	if !u.valid() {
		return Span{}, fmt.Errorf("unit span: %w", ErrUnit)
	}
	if from.IsZero() || to.IsZero() || to < from {
		return Span{}, fmt.Errorf("unit span from %s to %s: %w", from, to, ErrFlowDate)
	}
	return unitSpan(u, from, to, dueDay), nil
}

// unitSpan is UnitSpan for valid input (from ≤ to, u valid).
func unitSpan(u Unit, from, to calendar.Date, dueDay int) Span {
	per := u.DaysPerUnit()
	if !u.monthBased() {
		days := int(to) - int(from)
		return Span{Whole: days / per, Days: days % per, DaysPerUnit: per}
	}
	months, days := monthsBack(from, to, dueDay)
	if u == UnitMonth {
		return Span{Whole: months, Days: days, DaysPerUnit: per}
	}
	total := 30*months + days
	return Span{Whole: total / per, Days: total % per, DaysPerUnit: per}
}

// monthsBack counts full months back from to while they do not pass from,
// and returns them and the days left between from and the start of the
// first full month (App. J (b)(5)(ii)). from ≤ to.
func monthsBack(from, to calendar.Date, dueDay int) (months, days int) {
	ty, tm, td := to.Date()
	day := td
	if td == calendar.DaysIn(ty, tm) && dueDay > td {
		day = dueDay
	}
	back := func(k int) calendar.Date {
		return calendar.MonthlyOn(ty, tm-time.Month(k), day)
	}
	fy, fm, _ := from.Date()
	// Going back the calendar months between the two dates lands in from's
	// month, on or before from; one month fewer lands after it.
	k := (ty-fy)*12 + int(tm) - int(fm)
	for k > 0 && back(k) < from {
		k--
	}
	return k, int(back(k)) - int(from)
}

// seriesDueDay returns the due day UnitSpan uses for flows on the last day
// of a month: the largest day of the month among the flows of the same
// list. A series due on the 30th has payments on the 30th, so its 28
// February is measured as the 30th; a month-end series has payments on the
// 31st; a series due on the 15th and the last day (semimonthly) too. A
// stray odd payment on the 31st in a series due on the 28th would make its
// February payment count from 31 January; the effect is a few days of
// fraction on one payment.
func seriesDueDay(flows []Flow) int {
	dayMax := 0
	for _, f := range flows {
		if d := f.Date.Day(); d > dayMax {
			dayMax = d
		}
	}
	return dayMax
}

// Flow is one advance to the borrower or one payment by the borrower: an
// amount, positive, on a date.
type Flow struct {
	Date   calendar.Date
	Amount money.Cents
}

// aprTerm is one flow placed in time: Whole unit periods and Days/D of one
// from the beginning of the term, with +amount for a payment and −amount
// for an advance.
type aprTerm struct {
	whole  int
	days   int
	amount int64
}

// APR returns the annual percentage rate of a closed-end transaction by
// the actuarial method of Regulation Z Appendix J, rounded half up to two
// decimals (9.69 % is money.Rate(96900)).
//
// The term begins on the date of the earliest advance, taken as the date
// the finance charge begins to be earned (App. J (b)(2)); the time from it
// to every advance and payment is counted in unit periods of unit by
// UnitSpan (the day of a month-end series by seriesDueDay), so odd first
// periods, odd first or final payments and several advances are all
// handled by the general equation (b)(8). Flows may come in any order.
//
// APR returns ErrUnit for an invalid unit, ErrNoAdvance or ErrNoPayment if
// a list is empty, ErrNonPositive for an amount ≤ 0, ErrFlowDate for a flow
// without a date, ErrPaymentBeforeAdvance for a payment before the first
// advance, ErrAPRLimit for more than 2,000 flows or a term over 2,000 unit
// periods, and ErrNoSolution if the payments total less than the advances
// (a negative rate) or the APR is above 1,000 %.
func APR(advances, payments []Flow, unit Unit) (money.Rate, error) {
	if !unit.valid() {
		return 0, fmt.Errorf("apr: unit %d: %w", unit, ErrUnit)
	}
	if len(advances) == 0 {
		return 0, fmt.Errorf("apr: %w", ErrNoAdvance)
	}
	if len(payments) == 0 {
		return 0, fmt.Errorf("apr: %w", ErrNoPayment)
	}
	if len(advances)+len(payments) > aprFlowsMax {
		return 0, fmt.Errorf("apr: %d flows, at most %d: %w", len(advances)+len(payments), aprFlowsMax, ErrAPRLimit)
	}
	start := advances[0].Date
	for i, list := range [][]Flow{advances, payments} {
		kind := [...]string{"advance", "payment"}[i]
		for j, f := range list {
			if f.Amount <= 0 {
				return 0, fmt.Errorf("apr: %s %d of %s: %w", kind, j+1, f.Amount, ErrNonPositive)
			}
			if f.Date.IsZero() {
				return 0, fmt.Errorf("apr: %s %d: %w", kind, j+1, ErrFlowDate)
			}
			if i == 0 && f.Date < start {
				start = f.Date
			}
		}
	}
	terms := make([]aprTerm, 0, len(advances)+len(payments))
	for i, list := range [][]Flow{advances, payments} {
		sign := int64(1)
		if i == 0 {
			sign = -1
		}
		dueDay := seriesDueDay(list)
		for j, f := range list {
			if f.Date < start {
				return 0, fmt.Errorf("apr: payment %d on %s, first advance %s: %w", j+1, f.Date, start, ErrPaymentBeforeAdvance)
			}
			s := unitSpan(unit, start, f.Date, dueDay)
			if s.Whole > aprUnitPeriodsMax {
				return 0, fmt.Errorf("apr: flow on %s is %d unit periods from %s, at most %d: %w", f.Date, s.Whole, start, aprUnitPeriodsMax, ErrAPRLimit)
			}
			terms = append(terms, aprTerm{whole: s.Whole, days: s.Days, amount: sign * int64(f.Amount)})
		}
	}
	eq := newAPREquation(terms, unit)

	// When the advances come before the payments, the present value of
	// payments − advances falls as the rate rises; otherwise the bisection
	// below still ends on a rate where its sign changes. At 0 % it is the
	// plain difference of the totals.
	switch eq.sign(0) {
	case -1:
		return 0, fmt.Errorf("apr: payments total less than advances (negative rate): %w", ErrNoSolution)
	case 0:
		return 0, nil
	}
	// The APR rounds to k hundredths of a percent when the equation is
	// still ≥ 0 at k − ½ and < 0 at k + ½ (half up). Find the smallest k
	// whose upper midpoint is negative.
	negative := func(k int64) bool { return eq.sign(2*k+1) < 0 }
	lo, hi := int64(0), int64(aprHundredthsMax)
	if !negative(hi) {
		return 0, fmt.Errorf("apr: above %d %%: %w", aprHundredthsMax/100, ErrNoSolution)
	}
	for step := 0; lo < hi; step++ {
		if step == aprBisectionStepsMax {
			panic("finance: APR bisection did not converge")
		}
		mid := lo + (hi-lo)/2
		if negative(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return money.Rate(lo * (money.RateScale / 100)), nil
}

// aprEquation is the general equation of App. J (b)(8), payments minus
// advances, prepared for exact evaluation.
type aprEquation struct {
	unit  Unit
	whole int       // the largest number of whole unit periods, T
	days  []int     // the distinct day counts d, ascending
	coefs []aprCoef // by whole, then day index
}

// aprCoef sums the signed amounts of the flows with the same whole unit
// periods and the same day count.
type aprCoef struct {
	whole  int
	dayIdx int
	amount *big.Int
}

func newAPREquation(terms []aprTerm, unit Unit) *aprEquation {
	eq := &aprEquation{unit: unit}
	for _, t := range terms {
		eq.whole = max(eq.whole, t.whole)
		eq.days = append(eq.days, t.days)
	}
	slices.Sort(eq.days)
	eq.days = slices.Compact(eq.days)
	slices.SortFunc(terms, func(p, q aprTerm) int {
		return cmp.Or(cmp.Compare(p.whole, q.whole), cmp.Compare(p.days, q.days))
	})
	for _, t := range terms {
		idx, _ := slices.BinarySearch(eq.days, t.days)
		if n := len(eq.coefs); n > 0 && eq.coefs[n-1].whole == t.whole && eq.coefs[n-1].dayIdx == idx {
			eq.coefs[n-1].amount.Add(eq.coefs[n-1].amount, big.NewInt(t.amount))
			continue
		}
		eq.coefs = append(eq.coefs, aprCoef{whole: t.whole, dayIdx: idx, amount: big.NewInt(t.amount)})
	}
	return eq
}

// sign returns the sign of the equation (present value of the payments
// minus that of the advances) at the rate of h/2 hundredths of a percent a
// year, computed exactly.
//
// With i = a/b per unit period, x = b, y = a + b, D days per unit and L the
// product of (D·b + d·a) over the distinct day counts d, each flow
// P/((1 + (d/D)·i)(1 + i)^t), times the positive y^T·L/(D·b), is the
// integer
//
//	P · L/(D·b + d·a) · x^t · y^(T−t)
//
// and the sum over t is evaluated by Horner's rule in x and y.
func (eq *aprEquation) sign(h int64) int {
	a := big.NewInt(h)
	b := big.NewInt(aprRateDenominator * int64(eq.unit.PerYear()))
	if h != 0 {
		g := new(big.Int).GCD(nil, nil, a, b)
		a.Quo(a, g)
		b.Quo(b, g)
	}
	x := b
	y := new(big.Int).Add(a, b)

	// m[k] = L/(D·b + d_k·a): the product of the other day counts' factors.
	dTimesB := new(big.Int).Mul(big.NewInt(int64(eq.unit.DaysPerUnit())), b)
	m := make([]*big.Int, len(eq.days))
	prefix := big.NewInt(1)
	for k, d := range eq.days {
		m[k] = new(big.Int).Set(prefix)
		f := new(big.Int).Mul(big.NewInt(int64(d)), a)
		prefix.Mul(prefix, f.Add(f, dTimesB))
	}
	suffix := big.NewInt(1)
	for k := len(eq.days) - 1; k >= 0; k-- {
		m[k].Mul(m[k], suffix)
		f := new(big.Int).Mul(big.NewInt(int64(eq.days[k])), a)
		suffix.Mul(suffix, f.Add(f, dTimesB))
	}

	acc, c, term := new(big.Int), new(big.Int), new(big.Int)
	xPow := big.NewInt(1)
	next := 0
	for t := 0; t <= eq.whole; t++ {
		acc.Mul(acc, y)
		c.SetInt64(0)
		for ; next < len(eq.coefs) && eq.coefs[next].whole == t; next++ {
			k := eq.coefs[next]
			c.Add(c, term.Mul(k.amount, m[k.dayIdx]))
		}
		if c.Sign() != 0 {
			acc.Add(acc, c.Mul(c, xPow))
		}
		if t < eq.whole {
			xPow.Mul(xPow, x)
		}
	}
	return acc.Sign()
}
