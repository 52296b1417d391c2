package tax

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"carfin/db"
	"carfin/money"
)

// FilingColumns is the header of the filing file, one column per field of
// Form 1098-VLI. The IRS publishes the IRIS XML schemas only to
// transmitters with a control code (IRIS TCC, through e-Services), and no
// public schema for 1098-VLI was found, so carfin writes this documented
// CSV for the transmitter or the IRIS portal's upload to map:
//
//   - form, tax_year: "1098-VLI" and the calendar year
//   - corrected: 1 on a corrected return (the CORRECTED box), 0 on an original
//   - sequence: 0 for the original, n for the nth correction;
//     supersedes_return_id: the return a correction replaces
//   - withdrawn: 1 on a corrected return that withdraws an earlier one
//     (the loan does not qualify for the year; every money box is 0)
//   - lender_*: RECIPIENT'S/LENDER'S name, address, telephone and TIN
//   - borrower_*: PAYER'S/BORROWER'S name, address and TIN (in full, nine
//     digits) with its type (ssn, itin, ein)
//   - account_number: the lender's account number for the loan
//   - box1_interest_received: interest received from the borrower in the
//     year, dollars with two decimals (no sign, no separators)
//   - box2a_vehicle_year, box2b_vehicle_make, box2c_vehicle_model,
//     box2d_vin: the vehicle
//   - box3a_origination_date, box3b_acquisition_date: YYYY-MM-DD (3b empty
//     when the lender originated the loan)
//   - box4_outstanding_principal: principal at the start of the year, or
//     when the loan was originated or acquired in it
//   - box5_refund_overpaid_interest: refund of overpaid interest
//   - box6_original_use_by_borrower, box7_us_final_assembly: 1 checked, 0 not
//   - return_id: carfin's id of the return
var FilingColumns = []string{"form", "tax_year", "corrected", "sequence", "supersedes_return_id", "withdrawn",
	"lender_name", "lender_address", "lender_phone", "lender_tin",
	"borrower_name", "borrower_address_line1", "borrower_address_line2", "borrower_city", "borrower_state", "borrower_zip",
	"borrower_tin", "borrower_tin_type", "account_number",
	"box1_interest_received", "box2a_vehicle_year", "box2b_vehicle_make", "box2c_vehicle_model", "box2d_vin",
	"box3a_origination_date", "box3b_acquisition_date", "box4_outstanding_principal", "box5_refund_overpaid_interest",
	"box6_original_use_by_borrower", "box7_us_final_assembly", "return_id"}

// Filing is what WriteFiling wrote.
type Filing struct {
	IDs           []int64 // the returns written, in order
	Corrected     int
	InterestCents money.Cents // box 1 over the returns written
}

// WriteFiling writes a tax year's returns as the filing CSV (see
// [FilingColumns]) to w: the returns not yet filed, or every return of
// the year with all. The borrowers' taxpayer ids are opened with the key
// ring: the only place carfin shows them in full. It returns ErrNoKeys
// without a key ring and ErrInvalid when the lender has no taxpayer id.
// Nothing is marked filed: the caller does that with MarkFiled once the
// file is safely stored.
func (s *Service) WriteFiling(ctx context.Context, w io.Writer, year int, all bool) (Filing, error) {
	if err := checkYear(year); err != nil {
		return Filing{}, err
	}
	if s.cfg.Keys == nil {
		return Filing{}, ErrNoKeys
	}
	if s.cfg.Lender.TIN == "" {
		return Filing{}, fmt.Errorf("the lender's taxpayer id is required to file: %w", ErrInvalid)
	}
	where := `WHERE r.tax_year = $1 AND r.status = 'pending'`
	if all {
		where = `WHERE r.tax_year = $1`
	}
	rs, err := queryReturns(ctx, s.db.Read, where+` ORDER BY r.contract_id, r.seq LIMIT `+fmt.Sprint(returnsMax), year)
	if err != nil {
		return Filing{}, err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(FilingColumns); err != nil {
		return Filing{}, err
	}
	l := s.cfg.Lender
	var f Filing
	for _, r := range rs {
		b, err := borrowerOf(ctx, s.db.Read, r.ContractID)
		if err != nil {
			return Filing{}, err
		}
		tin, err := openTIN(ctx, s.db.Read, s.cfg.Keys, r.ContractID)
		if err != nil {
			return Filing{}, err
		}
		var kind string
		if err := s.db.Read.QueryRowContext(ctx, `SELECT taxpayer_id_kind FROM contract_tax_data WHERE contract_id = $1`, r.ContractID).Scan(&kind); err != nil {
			return Filing{}, fmt.Errorf("taxpayer id of contract %d: %w", r.ContractID, err)
		}
		supersedes := ""
		if r.SupersedesID != 0 {
			supersedes = strconv.FormatInt(r.SupersedesID, 10)
		}
		acq := ""
		if r.AcquisitionDate != 0 {
			acq = r.AcquisitionDate.String()
		}
		rec := []string{Form, strconv.Itoa(r.Year), flag(r.Corrected), strconv.Itoa(r.Seq), supersedes, flag(r.Corrected && !r.Eligible),
			l.Name, strings.Join(l.Address, ", "), l.Phone, l.TIN,
			b.Name, b.AddressLine1, b.AddressLine2, b.City, b.State, b.ZIP, tin, kind, r.AccountNumber,
			r.Box1InterestCents.String(), strconv.Itoa(r.VehicleYear), r.Make, r.Model, r.VIN,
			r.OriginationDate.String(), acq, r.Box4PrincipalCents.String(), r.Box5RefundCents.String(),
			flag(r.OriginalUse), flag(r.USFinalAssembly), strconv.FormatInt(r.ID, 10)}
		if err := cw.Write(rec); err != nil {
			return Filing{}, err
		}
		f.IDs = append(f.IDs, r.ID)
		f.InterestCents += r.Box1InterestCents
		if r.Corrected {
			f.Corrected++
		}
	}
	cw.Flush()
	return f, cw.Error()
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// markBatch bounds the ids one MarkFiled statement names.
const markBatch = 500

// MarkFiled marks returns filed (a filing file holds them), in one
// transaction.
func (s *Service) MarkFiled(ctx context.Context, ids []int64) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		for len(ids) > 0 {
			n := min(len(ids), markBatch)
			args := make([]any, n)
			marks := make([]string, n)
			for i, id := range ids[:n] {
				args[i], marks[i] = id, "$"+strconv.Itoa(i+1)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE tax_returns SET status = 'filed' WHERE id IN (`+strings.Join(marks, ", ")+`)`, args...); err != nil {
				return fmt.Errorf("mark returns filed: %w", err)
			}
			ids = ids[n:]
		}
		return nil
	})
}
