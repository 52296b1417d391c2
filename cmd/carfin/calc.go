package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"carfin/calendar"
	"carfin/finance"
	"carfin/money"
)

const calcHelp = `usage: carfin calc <payment|schedule|payoff|apr|lease> [flags] [--json]

  payment  --amount A --apr R --term N
  schedule --amount A --apr R --term N --start DATE --first-due DATE [--day-count 365|actual]
  payoff   --amount A --apr R --start DATE [--paid DATE:AMOUNT]... --on DATE [--day-count 365|actual]
  apr      --advance A --advance-date DATE --unit month|semimonth|quarter|week|biweek|4week --payment DATE:AMOUNT...
  lease    --cap-cost A --cap-reduction A --residual A --money-factor MF --term N [--tax-rate PCT]

Amounts are decimal dollars ("20000.00"), rates decimal percents ("6.99"),
dates YYYY-MM-DD.`

// calcFlags wraps a FlagSet so that every value is parsed by the money and
// calendar parsers and every error names its flag.
type calcFlags struct {
	fs   *flag.FlagSet
	set  map[string]bool
	json bool
}

func newCalcFlags(name string) *calcFlags {
	f := &calcFlags{fs: flag.NewFlagSet(name, flag.ContinueOnError), set: map[string]bool{}}
	f.fs.SetOutput(io.Discard)
	f.fs.BoolVar(&f.json, "json", false, "print JSON")
	return f
}

func (f *calcFlags) cents(name string, dst *money.Cents) {
	f.fs.Func(name, "amount", func(s string) error {
		v, err := money.Parse(s)
		if err != nil {
			return err
		}
		if v < 0 {
			return fmt.Errorf("must not be negative")
		}
		*dst = v
		f.set[name] = true
		return nil
	})
}

func (f *calcFlags) rate(name string, dst *money.Rate) {
	f.fs.Func(name, "percent", func(s string) error {
		v, err := money.ParseRate(s)
		if err != nil {
			return err
		}
		*dst = v
		f.set[name] = true
		return nil
	})
}

func (f *calcFlags) date(name string, dst *calendar.Date) {
	f.fs.Func(name, "date", func(s string) error {
		v, err := calendar.Parse(s)
		if err != nil {
			return err
		}
		*dst = v
		f.set[name] = true
		return nil
	})
}

func (f *calcFlags) intVal(name string, dst *int, lo, hi int) {
	f.fs.Func(name, "integer", func(s string) error {
		var v int
		if _, err := fmt.Sscanf(s, "%d", &v); err != nil || fmt.Sprint(v) != strings.TrimLeft(s, "+") || v < lo || v > hi {
			return fmt.Errorf("want a whole number from %d to %d", lo, hi)
		}
		*dst = v
		f.set[name] = true
		return nil
	})
}

// flows collects repeated DATE:AMOUNT values (also comma-separated).
func (f *calcFlags) flows(name string, dst *[]finance.Paid) {
	f.fs.Func(name, "DATE:AMOUNT", func(s string) error {
		for part := range strings.SplitSeq(s, ",") {
			p, err := parseDateAmount(part)
			if err != nil {
				return err
			}
			*dst = append(*dst, p)
		}
		f.set[name] = true
		return nil
	})
}

// flowsMax bounds --paid and --payment lists.
const flowsMax = 2000

// parseDateAmount reads "2024-02-15:395.93".
func parseDateAmount(s string) (finance.Paid, error) {
	ds, as, ok := strings.Cut(s, ":")
	if !ok {
		return finance.Paid{}, fmt.Errorf("%q: want DATE:AMOUNT, e.g. 2024-02-15:395.93", s)
	}
	dt, err := calendar.Parse(ds)
	if err != nil {
		return finance.Paid{}, err
	}
	amt, err := money.Parse(as)
	if err != nil {
		return finance.Paid{}, err
	}
	if amt <= 0 {
		return finance.Paid{}, fmt.Errorf("%q: amount must be positive", s)
	}
	return finance.Paid{On: dt, AmountCents: amt}, nil
}

// parse parses args and checks that every required flag was given.
func (f *calcFlags) parse(args []string, required ...string) error {
	if err := f.fs.Parse(args); err != nil {
		msg := strings.Replace(err.Error(), " -", " --", 1)
		return usagef("calc %s: %s", f.fs.Name(), msg)
	}
	if f.fs.NArg() > 0 {
		return usagef("calc %s: unexpected argument %q", f.fs.Name(), f.fs.Arg(0))
	}
	for _, r := range required {
		if !f.set[r] {
			return usagef("calc %s: --%s is required", f.fs.Name(), r)
		}
	}
	return nil
}

func runCalc(args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stdout, calcHelp)
		if len(args) == 0 {
			return usagef("calc: missing what to calculate (payment, schedule, payoff, apr, lease)")
		}
		return nil
	}
	switch args[0] {
	case "payment":
		return calcPayment(args[1:], stdout)
	case "schedule":
		return calcSchedule(args[1:], stdout)
	case "payoff":
		return calcPayoff(args[1:], stdout)
	case "apr":
		return calcAPR(args[1:], stdout)
	case "lease":
		return calcLease(args[1:], stdout)
	}
	return usagef("calc: unknown calculation %q (payment, schedule, payoff, apr, lease)", args[0])
}

// writeJSON prints v as one line of JSON.
func writeJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// table prints label/value pairs for people.
func table(w io.Writer, rows ...[2]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\n", r[0], r[1])
	}
	return tw.Flush()
}

func calcPayment(args []string, w io.Writer) error {
	f := newCalcFlags("payment")
	var amount money.Cents
	var apr money.Rate
	var term int
	f.cents("amount", &amount)
	f.rate("apr", &apr)
	f.intVal("term", &term, 1, 600)
	if err := f.parse(args, "amount", "apr", "term"); err != nil {
		return err
	}
	p, err := finance.ScheduledPayment(amount, apr, term)
	if err != nil {
		return usagef("calc payment: --amount: %v", err)
	}
	if f.json {
		return writeJSON(w, struct {
			Payment money.Cents `json:"payment"`
		}{p})
	}
	return table(w, [2]string{"Monthly payment", p.Dollars()})
}

type installmentJSON struct {
	Number    int           `json:"number"`
	Due       calendar.Date `json:"due"`
	Payment   money.Cents   `json:"payment"`
	Interest  money.Cents   `json:"interest"`
	Principal money.Cents   `json:"principal"`
	Balance   money.Cents   `json:"balance"`
}

func calcSchedule(args []string, w io.Writer) error {
	f := newCalcFlags("schedule")
	var t finance.LoanTerms
	var dayCount string
	f.cents("amount", &t.AmountCents)
	f.rate("apr", &t.APR)
	f.intVal("term", &t.Term, 1, 600)
	f.date("start", &t.Start)
	f.date("first-due", &t.FirstDue)
	f.fs.StringVar(&dayCount, "day-count", "365", "365 or actual")
	if err := f.parse(args, "amount", "apr", "term", "start", "first-due"); err != nil {
		return err
	}
	basis, err := finance.ParseDayCount(dayCount)
	if err != nil {
		return usagef("calc schedule: --day-count: %v", err)
	}
	t.DayCount = basis
	if t.AmountCents <= 0 {
		return usagef("calc schedule: --amount must be positive")
	}
	if t.FirstDue <= t.Start {
		return usagef("calc schedule: --first-due must be after --start")
	}
	s, err := finance.ProjectSchedule(t)
	if err != nil {
		return usagef("calc schedule: %v", err)
	}
	apr, err := disclosedAPR(t, s)
	if err != nil {
		return fmt.Errorf("calc schedule: APR: %w", err)
	}
	if f.json {
		out := struct {
			Payment         money.Cents       `json:"payment"`
			FinanceCharge   money.Cents       `json:"finance_charge"`
			TotalOfPayments money.Cents       `json:"total_of_payments"`
			APR             money.Rate        `json:"apr"`
			Installments    []installmentJSON `json:"installments"`
		}{s.PaymentCents, s.FinanceChargeCents, s.TotalOfPaymentsCents, apr, make([]installmentJSON, len(s.Installments))}
		for i, in := range s.Installments {
			out.Installments[i] = installmentJSON{in.Number, in.Due, in.PaymentCents, in.InterestCents, in.PrincipalCents, in.BalanceCents}
		}
		return writeJSON(w, out)
	}
	if err := table(w,
		[2]string{"Amount financed", s.AmountFinancedCents.Dollars()},
		[2]string{"Monthly payment", s.PaymentCents.Dollars()},
		[2]string{"Finance charge", s.FinanceChargeCents.Dollars()},
		[2]string{"Total of payments", s.TotalOfPaymentsCents.Dollars()},
		[2]string{"APR", apr.String() + " %"},
	); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "#\tDue\tPayment\tInterest\tPrincipal\tBalance\t")
	for _, in := range s.Installments {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t\n", in.Number, in.Due, in.PaymentCents, in.InterestCents, in.PrincipalCents, in.BalanceCents)
	}
	return tw.Flush()
}

// disclosedAPR is the Truth in Lending APR of a projected schedule: the
// Regulation Z Appendix J actuarial APR of the amount financed advanced on
// the start date and repaid by the schedule's payments.
func disclosedAPR(t finance.LoanTerms, s finance.Schedule) (money.Rate, error) {
	payments := make([]finance.Flow, len(s.Installments))
	for i, in := range s.Installments {
		payments[i] = finance.Flow{Date: in.Due, Amount: in.PaymentCents}
	}
	return finance.APR([]finance.Flow{{Date: t.Start, Amount: t.AmountCents}}, payments, finance.UnitMonth)
}

func calcPayoff(args []string, w io.Writer) error {
	f := newCalcFlags("payoff")
	var amount money.Cents
	var apr money.Rate
	var start, on calendar.Date
	var paid []finance.Paid
	var dayCount string
	f.cents("amount", &amount)
	f.rate("apr", &apr)
	f.date("start", &start)
	f.date("on", &on)
	f.flows("paid", &paid)
	f.fs.StringVar(&dayCount, "day-count", "365", "365 or actual")
	if err := f.parse(args, "amount", "apr", "start", "on"); err != nil {
		return err
	}
	basis, err := finance.ParseDayCount(dayCount)
	if err != nil {
		return usagef("calc payoff: --day-count: %v", err)
	}
	if len(paid) > flowsMax {
		return usagef("calc payoff: --paid: at most %d payments", flowsMax)
	}
	if amount <= 0 {
		return usagef("calc payoff: --amount must be positive")
	}
	q, _, err := finance.PayoffAfter(amount, apr, start, paid, on, basis)
	if err != nil {
		flagName := "--paid"
		if on < start {
			flagName = "--on"
		}
		return usagef("calc payoff: %s: %v", flagName, err)
	}
	if f.json {
		return writeJSON(w, struct {
			Payoff    money.Cents `json:"payoff"`
			Principal money.Cents `json:"principal"`
			Interest  money.Cents `json:"interest"`
			PerDiem   money.Cents `json:"per_diem"`
		}{q.PayoffCents, q.PrincipalCents, q.InterestCents, q.PerDiemCents})
	}
	return table(w,
		[2]string{"Payoff on " + q.On.String(), q.PayoffCents.Dollars()},
		[2]string{"Principal", q.PrincipalCents.Dollars()},
		[2]string{"Interest", q.InterestCents.Dollars()},
		[2]string{"Per diem", q.PerDiemCents.Dollars()},
	)
}

func calcAPR(args []string, w io.Writer) error {
	f := newCalcFlags("apr")
	var advance money.Cents
	var advanceDate calendar.Date
	var unitName string
	var payments []finance.Paid
	f.cents("advance", &advance)
	f.date("advance-date", &advanceDate)
	f.fs.StringVar(&unitName, "unit", "month", "unit period")
	f.flows("payment", &payments)
	if err := f.parse(args, "advance", "advance-date", "payment"); err != nil {
		return err
	}
	unit, err := finance.ParseUnit(unitName)
	if err != nil {
		return usagef("calc apr: --unit: %v", err)
	}
	if advance <= 0 {
		return usagef("calc apr: --advance must be positive")
	}
	if len(payments) > flowsMax {
		return usagef("calc apr: --payment: at most %d payments", flowsMax)
	}
	flows := make([]finance.Flow, len(payments))
	for i, p := range payments {
		flows[i] = finance.Flow{Date: p.On, Amount: p.AmountCents}
	}
	apr, err := finance.APR([]finance.Flow{{Date: advanceDate, Amount: advance}}, flows, unit)
	if err != nil {
		return usagef("calc apr: --payment: %v", err)
	}
	if f.json {
		return writeJSON(w, struct {
			APR money.Rate `json:"apr"`
		}{apr})
	}
	return table(w, [2]string{"APR", apr.String() + " %"})
}

func calcLease(args []string, w io.Writer) error {
	f := newCalcFlags("lease")
	var t finance.LeaseTerms
	f.cents("cap-cost", &t.GrossCapCostCents)
	f.cents("cap-reduction", &t.CapCostReductionCents)
	f.cents("residual", &t.ResidualCents)
	f.fs.Func("money-factor", "e.g. 0.00125", func(s string) error {
		v, err := money.ParseMoneyFactor(s)
		if err != nil {
			return err
		}
		t.MoneyFactor = v
		f.set["money-factor"] = true
		return nil
	})
	f.intVal("term", &t.Term, 1, 120)
	f.rate("tax-rate", &t.TaxRate)
	if err := f.parse(args, "cap-cost", "residual", "money-factor", "term"); err != nil {
		return err
	}
	p, err := finance.LeaseMonthly(t)
	if err != nil {
		return usagef("calc lease: %v", err)
	}
	if f.json {
		return writeJSON(w, struct {
			Depreciation money.Cents `json:"depreciation"`
			RentCharge   money.Cents `json:"rent_charge"`
			BasePayment  money.Cents `json:"base_payment"`
			Tax          money.Cents `json:"tax"`
			Payment      money.Cents `json:"payment"`
		}{p.DepreciationCents, p.RentChargeCents, p.BasePaymentCents, p.TaxCents, p.PaymentCents})
	}
	return table(w,
		[2]string{"Adjusted cap cost", p.AdjustedCapCostCents.Dollars()},
		[2]string{"Depreciation", p.DepreciationCents.Dollars()},
		[2]string{"Rent charge", p.RentChargeCents.Dollars()},
		[2]string{"Base payment", p.BasePaymentCents.Dollars()},
		[2]string{"Tax", p.TaxCents.Dollars()},
		[2]string{"Monthly payment", p.PaymentCents.Dollars()},
		[2]string{"Equivalent APR", t.MoneyFactor.APR().String() + " %"},
	)
}
