package tax

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"carfin/calendar"
	"carfin/db"
	"carfin/documents"
	"carfin/preferences"
	"carfin/profile"
)

// Stats counts what a year-end or corrections run did.
type Stats struct {
	ReportStats
	Statements int // borrower statements issued by this run (originals and corrections)
	Summaries  int // year-end interest summaries issued by this run
	Mailed     int // paper statements queued for mailing by this run
	// Unmailed counts paper statements waiting for a mailer (Config.Mailer
	// nil): a later run with one queues them.
	Unmailed int
}

// YearEnd is the January run for a tax year, on a business date: it
// records the year's returns (Report), issues each return's borrower
// statement as a document in the customer's language, gives every
// contract open in the year, loan or lease, its interest-paid summary,
// and queues the statements of customers on paper for mailing. Each
// contract's work is one transaction and nothing is done twice, so a run
// that stopped is finished by running it again. Statements are due by
// [DueBy](year). It returns ErrTaxYear and ErrYearOpen as Report does.
func (s *Service) YearEnd(ctx context.Context, year int, businessDate calendar.Date) (Stats, error) {
	var st Stats
	rs, err := s.Report(ctx, year)
	st.ReportStats = rs
	if err != nil {
		return st, err
	}
	if err := s.issueStatements(ctx, year, businessDate, &st); err != nil {
		return st, err
	}
	err = candidates(ctx, s.db.Read, year, func(c candidate) error {
		return s.db.InTx(ctx, func(tx *db.Tx) error {
			made, err := s.issueSummary(ctx, tx, c, year)
			if made {
				st.Summaries++
			}
			return err
		})
	})
	return st, err
}

// borrowerOf reads a contract's borrower as a statement addresses them.
func borrowerOf(ctx context.Context, q db.Querier, contractID int64) (Borrower, error) {
	var b Borrower
	var first, last string
	err := q.QueryRowContext(ctx, `SELECT u.first_name, u.last_name, u.address_line1, u.address_line2, u.city, u.state, u.zip,
		COALESCE(x.taxpayer_id_last4, '')
		FROM contracts c JOIN customers u ON u.id = c.customer_id LEFT JOIN contract_tax_data x ON x.contract_id = c.id
		WHERE c.id = $1`, contractID).Scan(&first, &last, &b.AddressLine1, &b.AddressLine2, &b.City, &b.State, &b.ZIP, &b.TINLast4)
	if err != nil {
		return Borrower{}, fmt.Errorf("borrower of contract %d: %w", contractID, err)
	}
	b.Name = first + " " + last
	return b, nil
}

// StatementRef is the document reference of a return's borrower
// statement: "1098vli:<contract>:<year>", and ":c<n>" for the nth
// correction.
func StatementRef(contractID int64, year, seq int) string {
	ref := fmt.Sprintf("1098vli:%d:%d", contractID, year)
	if seq > 0 {
		ref += fmt.Sprintf(":c%d", seq)
	}
	return ref
}

// SummaryRef is the document reference of a contract's interest summary.
func SummaryRef(contractID int64, year int) string {
	return fmt.Sprintf("interest:%d:%d", contractID, year)
}

// issueStatements issues the borrower statement of each of the year's
// returns that has none yet and queues paper ones not yet queued.
func (s *Service) issueStatements(ctx context.Context, year int, businessDate calendar.Date, st *Stats) error {
	rows, err := queryReturns(ctx, s.db.Read, `WHERE r.tax_year = $1 AND (r.document_id IS NULL OR (r.delivery = 'mail' AND r.mailed_on IS NULL))
		ORDER BY r.id LIMIT `+fmt.Sprint(returnsMax), year)
	if err != nil {
		return err
	}
	for _, r := range rows {
		err := s.db.InTx(ctx, func(tx *db.Tx) error {
			var delivery string
			var docID sql.NullInt64
			var mailed calendar.Date
			err := tx.QueryRowContext(ctx, `SELECT document_id, delivery, mailed_on FROM tax_returns WHERE id = $1`+s.db.ForUpdate(), r.ID).
				Scan(&docID, &delivery, &mailed)
			if err != nil {
				return fmt.Errorf("return %d: %w", r.ID, err)
			}
			if !docID.Valid {
				b, err := borrowerOf(ctx, tx, r.ContractID)
				if err != nil {
					return err
				}
				prefs, err := preferences.Get(ctx, tx, r.CustomerID)
				if err != nil {
					return err
				}
				paperless, err := profile.Paperless(ctx, tx, r.CustomerID)
				if err != nil {
					return err
				}
				pdf, err := RenderStatement(s.cfg.Lender, b, r, prefs.Lang, tx.Now())
				if err != nil {
					return err
				}
				title := fmt.Sprintf("Form 1098-VLI %d", r.Year)
				if r.Corrected {
					title += fmt.Sprintf(" (corrected %d)", r.Seq)
				}
				id, err := documents.Save(ctx, tx, documents.Document{CustomerID: r.CustomerID, ContractID: r.ContractID,
					Kind: documents.KindTax1098VLI, Title: title, FileName: fmt.Sprintf("1098-VLI-%d-%s.pdf", r.Year, r.AccountNumber),
					ContentType: "application/pdf", Content: pdf, Ref: StatementRef(r.ContractID, r.Year, r.Seq)})
				if err != nil {
					return err
				}
				delivery = "mail"
				if paperless {
					delivery = "portal"
				}
				if _, err := tx.ExecContext(ctx, `UPDATE tax_returns SET document_id = $2, delivery = $3 WHERE id = $1`, r.ID, id, delivery); err != nil {
					return fmt.Errorf("return %d: %w", r.ID, err)
				}
				docID = sql.NullInt64{Int64: id, Valid: true}
				st.Statements++
			}
			if delivery != "mail" || mailed != 0 {
				return nil
			}
			if s.cfg.Mailer == nil {
				st.Unmailed++
				return nil
			}
			if err := s.cfg.Mailer(ctx, tx, docID.Int64, businessDate); err != nil {
				return fmt.Errorf("mail the statement of return %d: %w", r.ID, err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE tax_returns SET mailed_on = $2 WHERE id = $1`, r.ID, businessDate); err != nil {
				return fmt.Errorf("return %d: %w", r.ID, err)
			}
			st.Mailed++
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// issueSummary issues a contract's interest summary for the year unless
// it has one; made reports whether this call did.
func (s *Service) issueSummary(ctx context.Context, tx *db.Tx, c candidate, year int) (made bool, err error) {
	ref := SummaryRef(c.id, year)
	var id int64
	err = tx.QueryRowContext(ctx, `SELECT id FROM documents WHERE kind = $1 AND ref = $2`, documents.KindInterestSummary, ref).Scan(&id)
	if err == nil {
		return false, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("interest summary of contract %d: %w", c.id, err)
	}
	totals, err := yearTotals(ctx, tx, c.id, year)
	if err != nil {
		return false, err
	}
	b, err := borrowerOf(ctx, tx, c.id)
	if err != nil {
		return false, err
	}
	b.TINLast4 = ""
	prefs, err := preferences.Get(ctx, tx, c.customerID)
	if err != nil {
		return false, err
	}
	pdf, err := RenderSummary(s.cfg.Lender, b, Summary{ContractID: c.id, Kind: c.kind, AccountNumber: c.account, Year: year,
		VehicleYear: c.vehicleYear, Make: c.make, Model: c.model, VIN: c.vin, Totals: totals}, prefs.Lang, tx.Now())
	if err != nil {
		return false, err
	}
	_, err = documents.Save(ctx, tx, documents.Document{CustomerID: c.customerID, ContractID: c.id, Kind: documents.KindInterestSummary,
		Title: fmt.Sprintf("Interest summary %d", year), FileName: fmt.Sprintf("interest-%d-%s.pdf", year, c.account),
		ContentType: "application/pdf", Content: pdf, Ref: ref})
	if err != nil {
		return false, err
	}
	return true, nil
}
