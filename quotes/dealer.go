package quotes

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"unicode/utf8"

	"carfin/audit"
	"carfin/calendar"
	"carfin/db"
	"carfin/locale"
	"carfin/payments"
	"carfin/postal"
	"carfin/servicing"
)

// Payoff letters to dealers.
//
// A customer trading the vehicle in asks the dealer to pay the contract
// off; the dealer asks the lender for a payoff letter. A staff member
// issues it (DealerPayoffLetter): the same figures as the customer's own
// payoff quote (servicing.QuotePayoff, good through a business day within
// GoodThroughDaysMax days, with its per diem), addressed to the dealer,
// with the lender's wiring and mailing instructions and the promise that
// the lien is released when good funds for the payoff arrive. It is kept
// apart from the customer's quotes (dealer_payoff_quotes, numbered DQ-…),
// so that what the customer sees in the portal does not change, and is
// audited as the staff member ("staff:ID", action "payoff.quote", the
// console's staff.IssuePayoffQuote). Whether the customer allowed the
// dealer to have the payoff (Gramm-Leach-Bliley: a nonpublic personal
// figure) is the console's check before it calls.

// Errors of dealer letters.
var (
	// ErrNotStaff: the issuer is not a staff login.
	ErrNotStaff = errors.New("not a staff login")
	// ErrDealer: the dealer's name or mailing address is missing or not
	// one the letter can carry (package postal's rules), or a contact
	// field is malformed. The error says which field.
	ErrDealer = errors.New("the dealer's name and address are required and must be a valid US mailing address")
)

// Limits of a dealer's fields beyond postal's.
const (
	dealerNameRunesMax  = postal.LineRunesMax // a line of the address block
	dealerPhoneRunesMax = 25
	dealerEmailBytesMax = 254 // RFC 5321's path limit
	// dealerAction is the audit action (staff.IssuePayoffQuote).
	dealerAction = "payoff.quote"
)

// Dealer is the third party a dealer payoff letter is addressed to.
// Contact, Phone, Fax and Email are optional.
type Dealer struct {
	Name         string
	AddressLine1 string
	AddressLine2 string
	City         string
	State        string // USPS code, e.g. "OH"
	ZIP          string // 12345 or 12345-6789
	Contact      string // "Attn:" line
	Phone        string
	Fax          string
	Email        string
}

// clean trims every field and checks them: postal's limits and
// characters for the address block, a state and ZIP the Postal Service
// knows, a phone or fax of digits and punctuation, an email address.
func (d Dealer) clean() (Dealer, error) {
	for _, f := range []*string{&d.Name, &d.AddressLine1, &d.AddressLine2, &d.City, &d.State, &d.ZIP, &d.Contact, &d.Phone, &d.Fax, &d.Email} {
		*f = strings.TrimSpace(*f)
	}
	d.State = strings.ToUpper(d.State)
	for _, f := range []struct {
		name, v  string
		required bool
		max      int
	}{
		{"name", d.Name, true, dealerNameRunesMax},
		{"address line 1", d.AddressLine1, true, postal.LineRunesMax},
		{"address line 2", d.AddressLine2, false, postal.LineRunesMax},
		{"city", d.City, true, postal.CityRunesMax},
		{"contact", d.Contact, false, postal.LineRunesMax},
	} {
		switch {
		case f.required && f.v == "":
			return d, fmt.Errorf("dealer %s is required: %w", f.name, ErrDealer)
		case utf8.RuneCountInString(f.v) > f.max:
			return d, fmt.Errorf("dealer %s is over %d characters: %w", f.name, f.max, ErrDealer)
		case !utf8.ValidString(f.v) || !postal.Printable(f.v):
			return d, fmt.Errorf("dealer %s has characters a letter cannot print: %w", f.name, ErrDealer)
		}
	}
	if !postal.ValidState(d.State) {
		return d, fmt.Errorf("dealer state %q: %w", d.State, ErrDealer)
	}
	if !postal.ValidZIP(d.ZIP) {
		return d, fmt.Errorf("dealer ZIP code %q: %w", d.ZIP, ErrDealer)
	}
	for _, p := range []struct{ name, v string }{{"phone", d.Phone}, {"fax", d.Fax}} {
		digits := 0
		for _, r := range p.v {
			switch {
			case r >= '0' && r <= '9':
				digits++
			case strings.ContainsRune(" ()-.+x", r):
			default:
				return d, fmt.Errorf("dealer %s %q: %w", p.name, p.v, ErrDealer)
			}
		}
		if p.v != "" && (digits < 10 || utf8.RuneCountInString(p.v) > dealerPhoneRunesMax) {
			return d, fmt.Errorf("dealer %s %q: %w", p.name, p.v, ErrDealer)
		}
	}
	if d.Email != "" {
		a, err := mail.ParseAddress(d.Email)
		if err != nil || a.Address != d.Email || len(d.Email) > dealerEmailBytesMax || !postal.Printable(d.Email) {
			return d, fmt.Errorf("dealer email %q: %w", d.Email, ErrDealer)
		}
	}
	return d, nil
}

// DealerQuote is a payoff quote issued to a dealer.
type DealerQuote struct {
	// Quote holds the figures (Kind payoff, Number DQ-…, Lang "en").
	// DocumentID is 0: the letter is not in the customer's documents.
	Quote
	Dealer       Dealer
	StaffLoginID int64
	// PDFSHA256 is the SHA-256 of the letter as issued.
	PDFSHA256 string
}

// dealerNumberOf is a dealer quote's number: DQ- and its id.
func dealerNumberOf(id int64) string { return fmt.Sprintf("DQ-%08d", id) }

// DealerPayoffLetter quotes paying the contract off through goodThrough
// for the dealer d, on behalf of the staff login staffLoginID: it stores
// the quote and its letter, audits it, and returns them. The same dealer
// (name and ZIP) asking again on the same day for the same date, with the
// same figures, gets the letter already issued. It returns ErrNotStaff,
// ErrDealer (which field), ErrNotFound (no such contract), ErrGoodThrough
// and ErrClosed, writing nothing.
func (s *Service) DealerPayoffLetter(ctx context.Context, staffLoginID, contractID int64, d Dealer, goodThrough calendar.Date) (DealerQuote, []byte, error) {
	d, err := d.clean()
	if err != nil {
		return DealerQuote{}, nil, err
	}
	today := s.sv.Today()
	if !validGoodThrough(today, goodThrough) {
		return DealerQuote{}, nil, fmt.Errorf("dealer payoff quote through %s: %w", goodThrough, ErrGoodThrough)
	}
	var staffName string
	err = s.db.Read.QueryRowContext(ctx, `SELECT display_name FROM logins WHERE id = $1 AND realm = 'staff'`, staffLoginID).Scan(&staffName)
	if errors.Is(err, sql.ErrNoRows) {
		return DealerQuote{}, nil, fmt.Errorf("login %d: %w", staffLoginID, ErrNotStaff)
	}
	if err != nil {
		return DealerQuote{}, nil, fmt.Errorf("read staff %d: %w", staffLoginID, err)
	}
	var customerID int64
	err = s.db.Read.QueryRowContext(ctx, `SELECT customer_id FROM contracts WHERE id = $1`, contractID).Scan(&customerID)
	if errors.Is(err, sql.ErrNoRows) {
		return DealerQuote{}, nil, fmt.Errorf("contract %d: %w", contractID, ErrNotFound)
	}
	if err != nil {
		return DealerQuote{}, nil, fmt.Errorf("contract %d: %w", contractID, err)
	}
	a, err := s.addressee(ctx, customerID, contractID)
	if err != nil {
		return DealerQuote{}, nil, err
	}
	if !a.Status.Open() {
		return DealerQuote{}, nil, fmt.Errorf("dealer payoff quote of contract %d: %w (%s)", contractID, ErrClosed, a.Status)
	}
	sq, err := s.sv.QuotePayoff(ctx, contractID, goodThrough)
	if errors.Is(err, servicing.ErrClosed) {
		return DealerQuote{}, nil, fmt.Errorf("dealer payoff quote of contract %d: %w", contractID, ErrClosed)
	}
	if err != nil {
		return DealerQuote{}, nil, fmt.Errorf("dealer payoff quote of contract %d: %w", contractID, err)
	}
	scheduled, err := payments.ScheduledThrough(ctx, s.db.Read, contractID, goodThrough)
	if err != nil {
		return DealerQuote{}, nil, fmt.Errorf("dealer payoff quote of contract %d: %w", contractID, err)
	}
	q := DealerQuote{Quote: Quote{CustomerID: customerID, ContractID: contractID, Kind: KindPayoff, QuotedOn: today, GoodThrough: goodThrough,
		PrincipalCents: sq.PrincipalCents, InterestCents: sq.InterestCents, FeesCents: sq.FeesCents, BilledCents: sq.BilledCents,
		PerDiemCents: sq.PerDiemCents, TotalCents: sq.PayoffCents, ScheduledCents: scheduled, Lang: "en"},
		Dealer: d, StaffLoginID: staffLoginID}
	var pdf []byte
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var same int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM dealer_payoff_quotes WHERE contract_id = $1 AND quoted_on = $2 AND good_through = $3
			AND dealer_name = $4 AND dealer_zip = $5 AND total_cents = $6 AND scheduled_cents = $7 ORDER BY id LIMIT 1`,
			contractID, today, goodThrough, d.Name, d.ZIP, q.TotalCents, q.ScheduledCents).Scan(&same)
		if err == nil {
			q, pdf, err = dealerQuote(ctx, tx, same)
			return err
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		ids, err := tx.NextIDs(ctx, "dealer_payoff_quotes", 1)
		if err != nil {
			return err
		}
		q.ID, q.Number, q.CreatedAt = ids[0], dealerNumberOf(ids[0]), tx.Now()
		if pdf, err = RenderDealerLetter(s.cfg, a, q, staffName); err != nil {
			return err
		}
		sum := sha256.Sum256(pdf)
		q.PDFSHA256 = hex.EncodeToString(sum[:])
		if _, err := tx.ExecContext(ctx, `INSERT INTO dealer_payoff_quotes (id, number, customer_id, contract_id, staff_login_id, quoted_on,
			good_through, principal_cents, interest_cents, fees_cents, billed_cents, per_diem_cents, total_cents, scheduled_cents,
			dealer_name, dealer_line1, dealer_line2, dealer_city, dealer_state, dealer_zip, dealer_contact, dealer_phone, dealer_fax,
			dealer_email, pdf, pdf_sha256, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27)`,
			q.ID, q.Number, customerID, contractID, staffLoginID, today, goodThrough, q.PrincipalCents, q.InterestCents, q.FeesCents,
			q.BilledCents, q.PerDiemCents, q.TotalCents, q.ScheduledCents, d.Name, d.AddressLine1, d.AddressLine2, d.City, d.State, d.ZIP,
			d.Contact, d.Phone, d.Fax, d.Email, pdf, q.PDFSHA256, q.CreatedAt); err != nil {
			return fmt.Errorf("insert dealer quote: %w", err)
		}
		return audit.Record(ctx, tx, audit.Event{Actor: "staff:" + strconv.FormatInt(staffLoginID, 10), Action: dealerAction,
			Subject: "contract:" + strconv.FormatInt(contractID, 10),
			Details: map[string]string{"quote": q.Number, "to": "dealer", "dealer": d.Name, "dealer_zip": d.ZIP,
				"good_through": goodThrough.String(), "total": q.TotalCents.String(), "per_diem": q.PerDiemCents.String(), "sha256": q.PDFSHA256}})
	})
	if err != nil {
		return DealerQuote{}, nil, fmt.Errorf("dealer payoff quote of contract %d: %w", contractID, err)
	}
	return q, pdf, nil
}

// DealerLetter returns a dealer quote of the contract by its number, with
// its letter as issued, or ErrNotFound.
func (s *Service) DealerLetter(ctx context.Context, contractID int64, number string) (DealerQuote, []byte, error) {
	var id int64
	err := s.db.Read.QueryRowContext(ctx, `SELECT id FROM dealer_payoff_quotes WHERE number = $1 AND contract_id = $2`, number, contractID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return DealerQuote{}, nil, fmt.Errorf("dealer quote %q: %w", number, ErrNotFound)
	}
	if err != nil {
		return DealerQuote{}, nil, fmt.Errorf("dealer quote %q: %w", number, err)
	}
	return dealerQuote(ctx, s.db.Read, id)
}

// dealerQuote reads a stored dealer quote and its letter.
func dealerQuote(ctx context.Context, q db.Querier, id int64) (DealerQuote, []byte, error) {
	var dq DealerQuote
	var pdf []byte
	d := &dq.Dealer
	err := q.QueryRowContext(ctx, `SELECT id, number, customer_id, contract_id, staff_login_id, quoted_on, good_through, principal_cents,
		interest_cents, fees_cents, billed_cents, per_diem_cents, total_cents, scheduled_cents, dealer_name, dealer_line1, dealer_line2,
		dealer_city, dealer_state, dealer_zip, dealer_contact, dealer_phone, dealer_fax, dealer_email, pdf, pdf_sha256, created_at
		FROM dealer_payoff_quotes WHERE id = $1`, id).Scan(&dq.ID, &dq.Number, &dq.CustomerID, &dq.ContractID, &dq.StaffLoginID, &dq.QuotedOn,
		&dq.GoodThrough, &dq.PrincipalCents, &dq.InterestCents, &dq.FeesCents, &dq.BilledCents, &dq.PerDiemCents, &dq.TotalCents,
		&dq.ScheduledCents, &d.Name, &d.AddressLine1, &d.AddressLine2, &d.City, &d.State, &d.ZIP, &d.Contact, &d.Phone, &d.Fax, &d.Email,
		&pdf, &dq.PDFSHA256, &dq.CreatedAt)
	if err != nil {
		return DealerQuote{}, nil, fmt.Errorf("dealer quote %d: %w", id, err)
	}
	dq.Kind, dq.Lang = KindPayoff, "en"
	dq.CreatedAt = dq.CreatedAt.UTC()
	return dq, pdf, nil
}

// dealerTexts are the words of the dealer letter that the customer's
// letter does not have (English: dealers are businesses; the figures'
// labels are the customer letter's).
var dealerTexts = map[string]string{
	"attn":       "Attn: %s",
	"phone":      "Phone %s",
	"fax":        "Fax %s",
	"re":         "Re: payoff of the account of our customer",
	"customer":   "Customer",
	"greeting":   "Dear %s,",
	"intro":      "As you asked, here is the amount that pays off the account of our customer named above. Please send the funds as the instructions below say.",
	"per_diem":   "If the funds arrive after %s, add %s for each additional day (per diem).",
	"scheduled":  "Payments our customer had already scheduled by %s: %s. The payoff amount above does not count them; if they are collected before your funds arrive, the overpayment is refunded to our customer.",
	"reference":  "Put the quote number %s and the account number %s on the payment.",
	"lien":       "On receipt of good funds for the full payoff amount, we release our lien on the vehicle and release or send the title as the state's law provides. Funds that are not good funds (a returned check or wire), or that are less than the payoff amount, do not release the lien.",
	"lease_lien": "On receipt of good funds for the full payoff amount, we transfer the vehicle's title as the state's law provides. Funds that are not good funds (a returned check or wire), or that are less than the payoff amount, do not transfer it.",
	"note":       "This quote assumes no other payment is made or returned before the good-through date. A payment returned after this quote was issued increases the amount owed.",
	"prepared":   "Prepared by %s",
	"department": "Payoff department",
}

// dealerLetterText is a dealer letter's phrase, or the customer letter's
// (in English) for the figures' labels.
func dealerLetterText(key string, args ...any) string {
	s, ok := dealerTexts[key]
	if !ok {
		return letterText("en", key, args...)
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// RenderDealerLetter renders a dealer quote's letter as a one-page PDF in
// English: the lender's letterhead, the quote number and date, the dealer
// (with the contact, phone, fax and email given), the customer's name,
// account, vehicle and VIN, the figures good through the quote's date and
// the per diem after it, the lender's wiring and mailing instructions,
// and that the lien is released on receipt of good funds. preparedBy
// names the staff member who issued it. It is laid out as RenderLetter
// (core fonts, cp1252), which it leaves unchanged.
func RenderDealerLetter(cfg Config, a servicing.Addressee, q DealerQuote, preparedBy string) ([]byte, error) {
	const lang = "en"
	T := dealerLetterText
	w := startLetter(cfg, T("title.payoff"), T("quote_number"), q.Number, T("date")+": "+locale.LongDate(lang, q.QuotedOn), q.CreatedAt)

	// The dealer: each line within postal's limits (Dealer.clean).
	d := q.Dealer
	lines := []string{d.Name}
	if d.Contact != "" {
		lines = append(lines, T("attn", d.Contact))
	}
	lines = append(lines, d.AddressLine1)
	if d.AddressLine2 != "" {
		lines = append(lines, d.AddressLine2)
	}
	w.lines(append(lines, d.City+", "+d.State+" "+d.ZIP))
	var reach []string
	if d.Phone != "" {
		reach = append(reach, T("phone", d.Phone))
	}
	if d.Fax != "" {
		reach = append(reach, T("fax", d.Fax))
	}
	if d.Email != "" {
		reach = append(reach, d.Email)
	}
	if len(reach) > 0 {
		w.note(strings.Join(reach, "  ·  "))
	}
	w.pdf.Ln(3)

	// Whose account: the customer's name, account, vehicle and VIN.
	w.pdf.SetFont("Helvetica", "B", letterFontSize)
	w.pdf.MultiCell(0, letterLineH, w.tr(T("re")), "", "L", false)
	w.facts(T("customer"), a.FirstName+" "+a.LastName)
	w.facts(T("account"), a.AccountNumber)
	w.facts(T("vehicle"), fmt.Sprintf("%d %s %s", a.VehicleYear, a.Make, a.Model))
	w.facts(T("vin"), a.VIN)
	w.pdf.Ln(2)
	w.paragraph(T("greeting", cmp.Or(d.Contact, d.Name)))
	w.pdf.Ln(1)
	w.note(T("intro"))

	w.payoffFigures(T, lang, a, q.Quote)
	if q.ScheduledCents > 0 {
		w.note(T("scheduled", locale.LongDate(lang, q.GoodThrough), locale.Money(lang, q.ScheduledCents)))
	}
	w.section(T("how_to_pay"))
	// The customer letter's instructions, with the dealer's reference line.
	instr := func(key string, args ...any) string {
		if key == "reference" {
			return T("reference", q.Number, a.AccountNumber)
		}
		return T(key, args...)
	}
	instructions(w.pdf, w.tr, cfg, instr, q.Quote)
	w.pdf.Ln(2)
	if a.Kind == servicing.KindLease {
		w.note(T("lease_lien"))
	} else {
		w.note(T("lien"))
	}
	w.pdf.Ln(1)
	w.note(T("note"))
	w.signature(cfg, T("sincerely"), T("department"))
	if preparedBy != "" {
		w.pdf.SetFont("Helvetica", "", 9)
		w.pdf.CellFormat(0, 4.5, w.tr(T("prepared", preparedBy)), "", 1, "L", false, 0, "")
	}
	return w.output(q.Number)
}
