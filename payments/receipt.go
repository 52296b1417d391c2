package payments

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"carfin/db"
	"carfin/internal/cp1252"
	"carfin/locale"
	"carfin/notify"
)

// Receipt is a payment's receipt as issued: to whom, when and in what
// language.
type Receipt struct {
	Payment Payment
	// Customer is the name of the customer it was issued to.
	Customer string
	// Issued is when it was issued, in the lender's zone.
	Issued time.Time
	// Lang is the customer's language for messages ("en", "es").
	Lang string
}

// RenderReceipt returns a payment's receipt as a one-page PDF in r.Lang:
// the lender's name, the customer's name and the date of issue, the
// confirmation number, the contract, the amount (and a card's convenience
// fee and total), the payment date, the method masked and the status. It
// uses a core PDF font (Helvetica, not embedded) and leaves the page
// uncompressed (a receipt is rendered inside the payment's transaction,
// and zlib cost more than the 2 KB it saved), so a receipt is about 4 KB
// and renders in a fraction of a millisecond.
func RenderReceipt(lender string, r Receipt) ([]byte, error) {
	p, lang := r.Payment, notify.Lang(r.Lang)
	w := func(key string) string { return word(lang, key, nil) }
	pdf := fpdf.New("P", "mm", "Letter", "")
	pdf.SetCompression(false)
	pdf.SetCreationDate(r.Issued)
	pdf.SetModificationDate(r.Issued)
	pdf.SetTitle(w("receipt.title")+" "+p.Confirmation, true)
	pdf.SetAuthor(lender, true)
	pdf.SetProducer("carfin", false)
	pdf.SetLang(lang)
	pdf.SetMargins(20, 20, 20)
	pdf.AddPage()
	tr := cp1252.Text // the core fonts' code page (accents, "•")
	pdf.SetFont("Helvetica", "B", 18)
	pdf.CellFormat(0, 10, tr(lender), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 13)
	pdf.CellFormat(0, 8, tr(w("receipt.title")), "B", 1, "L", false, 0, "")
	pdf.Ln(6)
	line := func(label, value string) {
		pdf.SetFont("Helvetica", "B", 11)
		pdf.CellFormat(55, 8, tr(label), "", 0, "L", false, 0, "")
		pdf.SetFont("Helvetica", "", 11)
		pdf.CellFormat(0, 8, tr(value), "", 1, "L", false, 0, "")
	}
	line(w("receipt.customer"), r.Customer)
	line(w("receipt.issued"), locale.Moment(lang, r.Issued))
	pdf.Ln(3)
	for _, l := range receiptLines(lang, p) {
		line(l[0], l[1])
	}
	pdf.Ln(6)
	pdf.SetFont("Helvetica", "", 9)
	note := w("receipt.note")
	if p.Rail == RailACH {
		note += w("receipt.note_ach")
	}
	pdf.MultiCell(0, 5, tr(note), "", "L", false)
	var b bytes.Buffer
	if err := pdf.Output(&b); err != nil {
		return nil, fmt.Errorf("render receipt %s: %w", p.Confirmation, err)
	}
	return b.Bytes(), nil
}

// storeReceipt renders a payment's receipt, issued now to the customer
// in their language, and stores it, in tx.
func (s *Service) storeReceipt(ctx context.Context, tx *db.Tx, p Payment) ([]byte, error) {
	c, err := contactOf(ctx, tx, p.CustomerID)
	if err != nil {
		return nil, err
	}
	now := tx.Now()
	pdf, err := RenderReceipt(s.cfg.LenderName, Receipt{Payment: p, Customer: c.name, Issued: now.In(s.cfg.Cutoff.Location), Lang: c.lang})
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(pdf)
	if _, err := tx.ExecContext(ctx, `INSERT INTO payment_receipts (payment_id, pdf, sha256, created_at) VALUES ($1, $2, $3, $4)`,
		p.ID, pdf, hex.EncodeToString(sum[:]), now); err != nil {
		return nil, fmt.Errorf("store receipt of %s: %w", p.Confirmation, err)
	}
	return pdf, nil
}

// Receipt returns the receipt PDF of one of the customer's payments. One-
// time payments get theirs at confirmation; an autopay debit's is rendered
// on first request and stored. It returns ErrNotFound.
func (s *Service) Receipt(ctx context.Context, customerID, paymentID int64) ([]byte, error) {
	var pdf []byte
	err := s.db.Read.QueryRowContext(ctx, `SELECT r.pdf FROM payment_receipts r JOIN payments p ON p.id = r.payment_id
		WHERE r.payment_id = $1 AND p.customer_id = $2`, paymentID, customerID).Scan(&pdf)
	if err == nil {
		return pdf, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("receipt of payment %d: %w", paymentID, err)
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		p, err := s.paymentTx(ctx, tx, customerID, paymentID)
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT pdf FROM payment_receipts WHERE payment_id = $1`, paymentID).Scan(&pdf); err == nil {
			return nil
		}
		pdf, err = s.storeReceipt(ctx, tx, p)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("receipt of payment %d: %w", paymentID, err)
	}
	return pdf, nil
}

// receiptsMax bounds a list of receipts, as documents bound theirs.
const receiptsMax = 500

// Receipts returns the receipts issued to the customer, newest first (at
// most receiptsMax); with contractID ≠ 0 only that contract's. They are
// every receipt stored — a one-time payment's, issued when it was made or
// changed, whatever became of the payment since — and those of the
// autopay and retried debits processed so far, which are issued when
// first asked for (Receipt): Issued is zero until then, and SizeBytes is
// 0. Each Payment holds only its id, confirmation, contract, account,
// amount and date. Another customer's receipts are never listed.
func (s *Service) Receipts(ctx context.Context, customerID, contractID int64) ([]ReceiptEntry, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT p.id, p.contract_id, c.account_number, p.amount_cents, p.scheduled_date, r.created_at,
		COALESCE(length(r.pdf), 0)
		FROM payments p JOIN contracts c ON c.id = p.contract_id LEFT JOIN payment_receipts r ON r.payment_id = p.id
		WHERE p.customer_id = $1 AND ($2 = 0 OR p.contract_id = $2)
		AND (r.payment_id IS NOT NULL OR (p.kind <> 'one_time' AND p.status IN ('pending', 'settled', 'returned')))
		ORDER BY COALESCE(r.created_at, p.updated_at) DESC, p.id DESC LIMIT `+fmt.Sprint(receiptsMax), customerID, contractID)
	if err != nil {
		return nil, fmt.Errorf("receipts of customer %d: %w", customerID, err)
	}
	defer rows.Close()
	var out []ReceiptEntry
	for rows.Next() {
		var e ReceiptEntry
		var issued sql.NullTime
		if err := rows.Scan(&e.Payment.ID, &e.Payment.ContractID, &e.Payment.ContractAccount, &e.Payment.AmountCents, &e.Payment.Date,
			&issued, &e.SizeBytes); err != nil {
			return nil, fmt.Errorf("receipts of customer %d: %w", customerID, err)
		}
		e.Payment.Confirmation, e.Payment.CustomerID, e.Issued = Confirmation(e.Payment.ID), customerID, issued.Time
		out = append(out, e)
	}
	return out, rows.Err()
}

// ReceiptEntry is a receipt as a list of documents shows it.
type ReceiptEntry struct {
	Payment Payment
	// Issued is when the receipt was issued (zero: not yet, see Receipts).
	Issued    time.Time
	SizeBytes int64
}
