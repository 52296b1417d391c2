// Package demo builds the book of a fictional lender, Northwind Motor
// Finance, for `carfin demo`: about fifty customers with loans and leases
// in the states a servicing team meets every day. The history is not
// inserted: contracts are opened on their dates and the real engine runs
// day by day, posting payments as each customer would make them and
// closing every business day, so balances, fees and delinquency are what
// carfin itself computes.
package demo

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/money"
	"carfin/notify"
	"carfin/preferences"
	"carfin/profile"
	"carfin/servicing"
	"carfin/statements"
)

// LenderName is the demo lender. It is fictional and must stay so.
const LenderName = "Northwind Motor Finance"

// The demo customers `carfin demo` gives a login, by their addresses: a
// rebuilt or reused book finds them by these, whatever their ids.
const (
	// LoginEmail is the demo login's customer: a loan and a lease, both
	// current.
	LoginEmail = "demo@northwind.example"
	// PastDueEmail is a customer whose loan stopped paying three months
	// ago: about 90 days past due, with late fees.
	PastDueEmail = "pastdue@northwind.example"
)

// Behaviour is how a demo customer pays.
type Behaviour string

const (
	OnTime     Behaviour = "on_time"     // pays the installment a few days before it is due
	Extra      Behaviour = "extra"       // pays the installment plus extra principal
	Late       Behaviour = "late"        // pays two weeks late, then the late fee
	Delinquent Behaviour = "delinquent"  // stopped paying three months ago
	Returned   Behaviour = "returned"    // last month's payment came back NSF
	PaidOff    Behaviour = "paid_off"    // paid the loan off early
	ChargedOff Behaviour = "charged_off" // stopped paying long ago; written off
)

// Profile describes one demo contract.
type Profile struct {
	Kind      servicing.Kind
	Behaviour Behaviour
	APR       string // loans
	Amount    string // loans: amount financed; leases: gross cap cost
	Term      int
	// MonthsAgo is how long ago the contract was signed.
	MonthsAgo int
	Make      string
	Model     string
	Year      int
}

// Book is what Build created.
type Book struct {
	Today           calendar.Date
	Customers       int
	Contracts       int
	ByBehaviour     map[Behaviour]int
	LoginCustomerID int64 // the customer the demo login belongs to (a loan and a lease): LoginEmail's
	LoginEmail      string
	// PastDueCustomerID is PastDueEmail's customer (0 in a book built
	// before the demo had one).
	PastDueCustomerID int64
}

var firstNames = []string{"Avery", "Jordan", "Riley", "Morgan", "Casey", "Quinn", "Rowan", "Harper", "Emerson", "Sawyer",
	"Parker", "Reese", "Dakota", "Finley", "Hayden", "Jamie", "Kendall", "Logan", "Micah", "Peyton", "Remy", "Skyler",
	"Taylor", "Blake", "Cameron"}
var lastNames = []string{"Alvarez", "Brennan", "Castillo", "Dawson", "Ellison", "Fairbanks", "Garrity", "Holloway",
	"Iverson", "Jaramillo", "Kowalski", "Lindqvist", "Marchetti", "Nakamura", "Okafor", "Pemberton", "Quintero",
	"Rasmussen", "Sorensen", "Thibodeaux", "Underwood", "Valdivia", "Whitfield", "Yamamoto", "Zielinski"}
var cities = []struct{ city, state, zip string }{
	{"Columbus", "OH", "43215"}, {"Madison", "WI", "53703"}, {"Boise", "ID", "83702"}, {"Raleigh", "NC", "27601"},
	{"Tucson", "AZ", "85701"}, {"Spokane", "WA", "99201"}, {"Omaha", "NE", "68102"}, {"Richmond", "VA", "23219"},
}
var vehicles = []struct {
	make, model string
}{{"Toyota", "RAV4"}, {"Honda", "Civic"}, {"Ford", "F-150"}, {"Subaru", "Outback"}, {"Hyundai", "Tucson"},
	{"Chevrolet", "Equinox"}, {"Mazda", "CX-5"}, {"Kia", "Telluride"}, {"Nissan", "Rogue"}, {"Volkswagen", "Tiguan"}}

// profiles returns the demo book: named edge cases first, then a spread of
// ordinary contracts.
func profiles(rng *rand.Rand) []Profile {
	ps := []Profile{
		// The demo login's loan and lease.
		{Kind: servicing.KindLoan, Behaviour: OnTime, APR: "6.49", Amount: "28500", Term: 60, MonthsAgo: 14, Make: "Subaru", Model: "Outback", Year: 2024},
		{Kind: servicing.KindLease, Behaviour: OnTime, Amount: "34500", Term: 36, MonthsAgo: 9, Make: "Mazda", Model: "CX-5", Year: 2025},
		// A 0 % promotional loan.
		{Kind: servicing.KindLoan, Behaviour: OnTime, APR: "0", Amount: "24000", Term: 48, MonthsAgo: 11, Make: "Hyundai", Model: "Tucson", Year: 2025},
		// Past due with late fees (PastDueEmail).
		{Kind: servicing.KindLoan, Behaviour: Delinquent, APR: "12.9", Amount: "16500", Term: 60, MonthsAgo: 20, Make: "Nissan", Model: "Rogue", Year: 2021},
		{Kind: servicing.KindLoan, Behaviour: Late, APR: "9.9", Amount: "19800", Term: 72, MonthsAgo: 16, Make: "Chevrolet", Model: "Equinox", Year: 2022},
		// A returned payment.
		{Kind: servicing.KindLoan, Behaviour: Returned, APR: "7.9", Amount: "21000", Term: 60, MonthsAgo: 8, Make: "Honda", Model: "Civic", Year: 2024},
		// Paid off early.
		{Kind: servicing.KindLoan, Behaviour: PaidOff, APR: "5.9", Amount: "14000", Term: 36, MonthsAgo: 26, Make: "Toyota", Model: "RAV4", Year: 2022},
		// A lease near maturity (ends within 90 days) and one past maturity.
		{Kind: servicing.KindLease, Behaviour: OnTime, Amount: "31000", Term: 36, MonthsAgo: 35, Make: "Volkswagen", Model: "Tiguan", Year: 2023},
		{Kind: servicing.KindLease, Behaviour: OnTime, Amount: "29500", Term: 24, MonthsAgo: 25, Make: "Kia", Model: "Telluride", Year: 2024},
		// Charged off.
		{Kind: servicing.KindLoan, Behaviour: ChargedOff, APR: "18.9", Amount: "11000", Term: 60, MonthsAgo: 30, Make: "Ford", Model: "F-150", Year: 2019},
		// Extra principal.
		{Kind: servicing.KindLoan, Behaviour: Extra, APR: "4.9", Amount: "32000", Term: 72, MonthsAgo: 18, Make: "Ford", Model: "F-150", Year: 2024},
	}
	aprs := []string{"3.9", "4.9", "5.49", "6.99", "7.49", "8.9", "10.9", "14.9"}
	for len(ps) < 52 {
		v := vehicles[rng.IntN(len(vehicles))]
		p := Profile{Kind: servicing.KindLoan, Behaviour: OnTime, APR: aprs[rng.IntN(len(aprs))],
			Amount: fmt.Sprint(12000 + 500*rng.IntN(50)), Term: []int{36, 48, 60, 72}[rng.IntN(4)],
			MonthsAgo: 1 + rng.IntN(30), Make: v.make, Model: v.model, Year: 2020 + rng.IntN(6)}
		switch r := rng.IntN(20); {
		case r < 3:
			p.Kind, p.Term, p.Amount = servicing.KindLease, 36, fmt.Sprint(26000+1000*rng.IntN(15))
			p.MonthsAgo = 1 + rng.IntN(33)
		case r < 5:
			p.Behaviour = Extra
		case r < 7:
			p.Behaviour = Late
		case r == 7:
			p.Behaviour = Delinquent
			p.MonthsAgo = max(p.MonthsAgo, 6)
		}
		if p.MonthsAgo >= p.Term && p.Kind == servicing.KindLoan {
			p.MonthsAgo = p.Term - 2
		}
		ps = append(ps, p)
	}
	return ps
}

// contract is a demo contract being simulated.
type contract struct {
	id      int64
	p       Profile
	payment money.Cents
	signed  calendar.Date
	first   calendar.Date
	n       int // installments paid
	// Returned: the payment that bounces, and the day its return arrives.
	bounced  bool
	retEvent int64
	retDay   calendar.Date
}

// Lender is the demo lender as its statements show it (`carfin demo`
// passes the one its settings make, WithLender).
var Lender = statements.Lender{Name: LenderName, Address: []string{"PO Box 4100", "Columbus, OH 43216"},
	Phone: "1-800-555-0199", Hours: "Mon–Fri 8am–8pm ET", HoursES: "lun.–vie., 8 a. m.–8 p. m. (hora del Este)",
	PaymentAddress: []string{LenderName + ", Payments", "PO Box 4200", "Columbus, OH 43216"},
	Primary:        "#0b5394", Accent: "#e69138"}

// Option changes how Build builds.
type Option func(*options)

type options struct {
	lender   statements.Lender
	afterDay func(ctx context.Context, d *db.DB, day calendar.Date) error
}

// WithLender sets the lender the statements are from.
func WithLender(l statements.Lender) Option { return func(o *options) { o.lender = l } }

// AfterDay calls f at the end of each simulated day, once the day is
// closed and its statements made, with the view of the database whose
// clock is that day's: tests hold what the day made to what the portal
// showed on it.
func AfterDay(f func(ctx context.Context, d *db.DB, day calendar.Date) error) Option {
	return func(o *options) { o.afterDay = f }
}

// Customers of the demo who read in Spanish, and who chose paper over
// paperless delivery, by the index of their first profile: the demo
// login (0) is paperless in English, the past-due customer (3) on paper.
var (
	spanishCustomers = map[int]bool{2: true, 5: true, 12: true}
	paperCustomers   = map[int]bool{3: true, 4: true, 6: true, 9: true, 13: true, 17: true}
)

// Build creates the demo book in d, running the engine from the oldest
// contract's signing up to yesterday (in the lender's zone loc), each
// day's work as of noon on that day (through a view of d with its own
// clock: d's clock is left alone): payments, day close and the monthly
// statements of every contract. It fails if d already holds contracts.
func Build(ctx context.Context, d *db.DB, loc *time.Location, opts ...Option) (Book, error) {
	o := options{lender: Lender}
	for _, f := range opts {
		f(&o)
	}
	var n int
	if err := d.Read.QueryRowContext(ctx, `SELECT count(*) FROM contracts`).Scan(&n); err != nil {
		return Book{}, err
	}
	if n > 0 {
		return Book{}, fmt.Errorf("demo: the database already has %d contracts", n)
	}
	today := calendar.Of(d.Now().In(loc))
	var simDate calendar.Date
	asOf := d.AsOf(db.ClockFunc(func() time.Time {
		y, m, dd := simDate.Date()
		return time.Date(y, m, dd, 12, 0, 0, 0, loc).UTC()
	}))
	sv := servicing.New(asOf, func(t time.Time) calendar.Date { return calendar.Of(t.In(loc)) })
	// The statements went out at the time: they are made and stored, not
	// sent again or printed.
	stm, err := statements.New(asOf, sv, statements.Config{Lender: o.lender, Backfill: true})
	if err != nil {
		return Book{}, err
	}
	prof := profile.New(asOf, o.lender.Name)
	rng := rand.New(rand.NewPCG(2026, 11))
	ps := profiles(rng)
	book := Book{Today: today, ByBehaviour: map[Behaviour]int{}}

	start := today
	for _, p := range ps {
		start = min(start, today.AddMonths(-p.MonthsAgo))
	}
	// Open contracts on their signing dates while the days run.
	pending := make([]*contract, len(ps))
	for i, p := range ps {
		signed := today.AddMonths(-p.MonthsAgo)
		pending[i] = &contract{p: p, signed: signed, first: signed.AddMonths(1)}
	}
	var customers []int64
	// The demo login is profile 0's customer (a loan), who also holds
	// profile 1 (a lease); contracts open in date order, not profile order.
	var loginCustomer int64
	for simDate = start; simDate < today; simDate++ {
		for i, c := range pending {
			if c.id != 0 || c.signed != simDate {
				continue
			}
			var custID int64
			if i == 1 && loginCustomer != 0 {
				custID = loginCustomer // the demo login has a loan and a lease
			} else {
				var err error
				custID, err = createCustomer(ctx, sv, rng, len(customers), demoEmails[i])
				if err != nil {
					return Book{}, err
				}
				customers = append(customers, custID)
				if i == 0 {
					loginCustomer = custID
				}
				if err := choose(ctx, asOf, prof, custID, i, o.lender); err != nil {
					return Book{}, fmt.Errorf("demo: customer %d: %w", i, err)
				}
			}
			if err := openContract(ctx, sv, d, c, custID, i, rng); err != nil {
				return Book{}, fmt.Errorf("demo: open contract %d: %w", i, err)
			}
			book.Contracts++
			book.ByBehaviour[c.p.Behaviour]++
		}
		for _, c := range pending {
			if c.id != 0 {
				if err := simulateDay(ctx, sv, c, simDate, today); err != nil {
					return Book{}, fmt.Errorf("demo: contract %d on %s: %w", c.id, simDate, err)
				}
			}
		}
		if _, err := sv.DayClose(ctx, simDate); err != nil {
			return Book{}, fmt.Errorf("demo: day close %s: %w", simDate, err)
		}
		if _, err := stm.Run(ctx, simDate); err != nil {
			return Book{}, fmt.Errorf("demo: statements of %s: %w", simDate, err)
		}
		if o.afterDay != nil {
			if err := o.afterDay(ctx, asOf, simDate); err != nil {
				return Book{}, fmt.Errorf("demo: %s: %w", simDate, err)
			}
		}
	}
	// The confirmations of the demo customers' paperless consents went
	// out when they consented, years ago: not again at the demo's start.
	if _, err := d.SQL.ExecContext(ctx, `UPDATE outbox SET sent_at = created_at WHERE kind = 'profile.esign_given' AND sent_at IS NULL`); err != nil {
		return Book{}, err
	}
	book.Customers = len(customers)
	if err := findLogins(ctx, d.Read, &book); err != nil {
		return Book{}, err
	}
	return book, nil
}

// choose records a new customer's choices at signing: the language they
// read in and, unless they keep paper, their consent to paperless
// delivery (E-SIGN), given as the portal records it.
func choose(ctx context.Context, d *db.DB, prof *profile.Service, custID int64, i int, l statements.Lender) error {
	lang := "en"
	if spanishCustomers[i] {
		lang = "es"
		err := d.InTx(ctx, func(tx *db.Tx) error {
			alerts := map[preferences.Kind]preferences.Channels{}
			for _, k := range preferences.Kinds {
				alerts[k] = preferences.Channels{Email: true}
			}
			return preferences.Set(ctx, tx, custID, preferences.Change{Alerts: alerts, DueReminderDays: preferences.DueReminderDaysDefault,
				Lang: "es"}, "demo", "")
		})
		if err != nil {
			return err
		}
	}
	if paperCustomers[i] {
		return nil
	}
	disc := profile.NewDisclosure(lang, profile.DisclosureInfo{Lender: l.Name, Phone: l.Phone, Hours: l.Hours,
		Address: strings.Join(l.Address, ", ")})
	return prof.GiveConsent(ctx, custID, disc, profile.SampleCode(custID), profile.Actor{IP: "192.0.2.10", UserAgent: "carfin demo",
		Lang: notify.Lang(lang)})
}

// demoEmails are the addresses of the demo customers, by the index of
// their first profile.
var demoEmails = map[int]string{0: LoginEmail, 3: PastDueEmail}

// Existing returns the book an earlier Build left in d, with the demo
// customers found by their addresses (LoginEmail, PastDueEmail) — never
// by id or by who has a login, since a reader of the demo may have given
// other customers logins. ok is false when d holds no contracts. Today is
// left zero: the business date is the lender's today, not the build's.
// A demo customer not in d (another book, or a reader changed its
// address) has id 0.
func Existing(ctx context.Context, q db.Querier) (book Book, ok bool, err error) {
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM contracts`).Scan(&book.Contracts); err != nil || book.Contracts == 0 {
		return book, false, err
	}
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM customers`).Scan(&book.Customers); err != nil {
		return book, false, err
	}
	return book, true, findLogins(ctx, q, &book)
}

// findLogins sets the book's demo customers from their addresses: the
// customer's own, or the sign-in address of its login.
func findLogins(ctx context.Context, q db.Querier, book *Book) error {
	find := func(email string) (int64, error) {
		var id sql.NullInt64 // NULL: no such customer
		err := q.QueryRowContext(ctx, `SELECT min(c.id) FROM customers c WHERE c.email = $1
			OR EXISTS (SELECT 1 FROM logins l WHERE l.customer_id = c.id AND l.realm = 'customer' AND l.email = $1)`, email).Scan(&id)
		return id.Int64, err
	}
	var err error
	if book.LoginCustomerID, err = find(LoginEmail); err != nil {
		return fmt.Errorf("demo: find %s: %w", LoginEmail, err)
	}
	if book.LoginCustomerID != 0 {
		book.LoginEmail = LoginEmail
	}
	if book.PastDueCustomerID, err = find(PastDueEmail); err != nil {
		return fmt.Errorf("demo: find %s: %w", PastDueEmail, err)
	}
	return nil
}

// createCustomer creates the i-th customer; email "" gives them an
// address made of their name, numbered from the second round of names on
// so that every address is unique.
func createCustomer(ctx context.Context, sv *servicing.Service, rng *rand.Rand, i int, email string) (int64, error) {
	first, last := firstNames[i%len(firstNames)], lastNames[(i*7)%len(lastNames)]
	city := cities[i%len(cities)]
	if email == "" {
		email = fmt.Sprintf("%s.%s@example.com", lower(first), lower(last))
		if round := i / len(firstNames); round > 0 {
			email = fmt.Sprintf("%s.%s%d@example.com", lower(first), lower(last), round+1)
		}
	}
	return sv.CreateCustomer(ctx, servicing.NewCustomer{
		FirstName: first, LastName: last, Email: email, Phone: fmt.Sprintf("+1555%07d", 1000000+i),
		AddressLine1: fmt.Sprintf("%d %s St", 100+rng.IntN(9000), []string{"Maple", "Cedar", "Lakeview", "Hillcrest", "Main"}[i%5]),
		City:         city.city, State: city.state, ZIP: city.zip,
		BirthDate: calendar.New(1955+rng.IntN(45), time.Month(1+rng.IntN(12)), 1+rng.IntN(28)),
		SSNLast4:  fmt.Sprintf("%04d", rng.IntN(10000)),
	})
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func openContract(ctx context.Context, sv *servicing.Service, d *db.DB, c *contract, custID int64, i int, rng *rand.Rand) error {
	p := c.p
	vin := servicing.WithCheckDigit(fmt.Sprintf("%s0R%07d", []string{"1HGCM826", "2T3W1RFV", "JM3KFBCM", "5XYP3DHC", "1FTFW1E5"}[i%5], 100000+i))
	nc := servicing.NewContract{
		AccountNumber: fmt.Sprintf("NW-%06d", 100001+i), CustomerID: custID, VIN: vin, VehicleYear: p.Year, Make: p.Make, Model: p.Model,
		Kind: p.Kind, TermMonths: p.Term, ContractDate: c.signed, FirstDue: c.first, GraceDays: 10,
		LateFee:     servicing.LateFeeRule{Kind: "greater", FixedCents: money.MustParse("15"), Rate: money.MustParseRate("5"), CapCents: money.MustParse("35")},
		NSFFeeCents: money.MustParse("25"),
	}
	amount := money.MustParse(p.Amount)
	if p.Kind == servicing.KindLoan {
		nc.AmountFinancedCents, nc.APR = amount, money.MustParseRate(p.APR)
	} else {
		nc.Lease = &servicing.NewLease{GrossCapCostCents: amount, CapCostReductionCents: money.MustParse("2500"),
			ResidualCents: amount.Percent(money.MustParseRate("55")), MoneyFactor: money.MoneyFactor(100000 + 5000*rng.Int64N(20)),
			TaxRate: money.MustParseRate("6.25"), MileageAllowance: int64(p.Term) * 1000, ExcessMileRateCents: money.MustParse("0.25"),
			PurchaseOptionCents: amount.Percent(money.MustParseRate("55")), PurchaseFeeCents: money.MustParse("350"),
			DispositionFeeCents: money.MustParse("395"), OdometerStart: int64(5 + rng.IntN(40))}
	}
	id, err := sv.OpenContract(ctx, nc)
	if err != nil {
		return err
	}
	c.id = id
	if err := d.Read.QueryRowContext(ctx, `SELECT payment_cents FROM contracts WHERE id = $1`, id).Scan(&c.payment); err != nil {
		return err
	}
	return nil
}

// simulateDay makes the customer's payments due on date day.
func simulateDay(ctx context.Context, sv *servicing.Service, c *contract, day, today calendar.Date) error {
	p := c.p
	if c.n >= p.Term {
		return nil
	}
	due := calendar.MonthlyOn(c.first.Year(), c.first.Month()+time.Month(c.n), c.first.Day())
	key := func(s string) string { return fmt.Sprintf("demo:%d:%d:%s", c.id, c.n, s) }
	req := func(s string) servicing.Request {
		return servicing.Request{ContractID: c.id, Date: day, IdempotencyKey: key(s), Actor: "demo"}
	}
	// pay pays amount, or the payoff if that is less (the last payment of
	// a loan settles the balance), and counts the installment paid.
	pay := func(amount money.Cents) (servicing.Result, error) {
		q, err := sv.QuotePayoff(ctx, c.id, day)
		if err != nil {
			return servicing.Result{}, err
		}
		res, err := sv.PostPayment(ctx, req("pay"), min(amount, q.PayoffCents))
		c.n++
		if err == nil && res.Status == servicing.StatusPaidOff {
			c.n = p.Term
		}
		return res, err
	}
	var err error
	switch p.Behaviour {
	case OnTime, Extra:
		if day == due.AddDays(-3) {
			amount := c.payment
			if p.Behaviour == Extra {
				amount += money.MustParse("150")
			}
			_, err = pay(amount)
		}
	case Late:
		if day == due.AddDays(14) {
			fee := min(max(money.MustParse("15"), c.payment.Percent(money.MustParseRate("5"))), money.MustParse("35"))
			_, err = pay(c.payment + fee)
		}
	case Delinquent:
		if day == due && due < today.AddMonths(-3) {
			_, err = pay(c.payment)
		}
	case ChargedOff:
		if day == due && due < c.signed.AddMonths(8) {
			_, err = pay(c.payment)
		}
		if day == c.signed.AddMonths(14) {
			r := req("writeoff")
			r.Memo = "charged off: 180 days past due"
			_, err = sv.WriteOff(ctx, r)
			c.n = p.Term
		}
	case Returned:
		if day == due {
			var res servicing.Result
			res, err = pay(c.payment)
			// Last month's payment comes back R01 (insufficient funds)
			// three business days later.
			if err == nil && !c.bounced && due >= today.AddMonths(-2) {
				c.bounced, c.retEvent, c.retDay = true, res.EventID, calendar.AddBusinessDays(day, 3)
			}
		}
		if c.retEvent != 0 && day == c.retDay {
			r := req("return")
			r.Memo = "R01 insufficient funds"
			if _, err = sv.Reverse(ctx, r, c.retEvent); err == nil {
				_, err = sv.AssessNSFFee(ctx, req("nsf"))
			}
			c.retEvent = 0
		}
	case PaidOff:
		if day == due.AddDays(-2) {
			if c.n < 18 {
				_, err = pay(c.payment)
			} else {
				var q servicing.Quote
				if q, err = sv.QuotePayoff(ctx, c.id, day); err == nil {
					_, err = sv.Payoff(ctx, req("payoff"), q.PayoffCents)
					c.n = p.Term
				}
			}
		}
	}
	return err
}
