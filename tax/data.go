package tax

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"carfin/calendar"
	"carfin/db"
	"carfin/keyring"
)

// Condition is whether the vehicle was new or used when the loan bought
// it. Only a new vehicle qualifies (26 USC 163(h)(4)(C)(ii): its original
// use must begin with the taxpayer).
type Condition string

const (
	ConditionNew  Condition = "new"
	ConditionUsed Condition = "used"
)

// VehicleType is the vehicle's body type. 26 USC 163(h)(4)(D)(i): a car,
// minivan, van, sport utility vehicle, pickup truck or motorcycle
// qualifies; anything else (an RV, a trailer) does not.
type VehicleType string

const (
	VehicleCar        VehicleType = "car"
	VehicleMinivan    VehicleType = "minivan"
	VehicleVan        VehicleType = "van"
	VehicleSUV        VehicleType = "suv"
	VehiclePickup     VehicleType = "pickup"
	VehicleMotorcycle VehicleType = "motorcycle"
	VehicleOther      VehicleType = "other"
)

// TINKind is the kind of a taxpayer identification number.
type TINKind string

const (
	TINSSN  TINKind = "ssn"  // Social Security number
	TINITIN TINKind = "itin" // individual taxpayer identification number (starts with 9)
	TINEIN  TINKind = "ein"  // employer identification number
)

// gvwrLbsMax bounds the gross vehicle weight rating a loan can record:
// the heaviest road tractors are rated about 80,000 lb.
const gvwrLbsMax = 200_000

// Data is what carfin records about a loan for vehicle loan interest
// reporting, beyond what the contract and the ledger hold.
type Data struct {
	// TaxpayerID is the borrower's SSN, ITIN or EIN: nine digits, dashes
	// and spaces ignored. It is stored only sealed under the key ring and
	// shown only masked (see [MaskTIN]); the filing export alone opens it.
	TaxpayerID string
	// TaxpayerIDKind says which; "" infers an ITIN from a leading 9 and an
	// SSN otherwise.
	TaxpayerIDKind        TINKind
	Condition             Condition
	OriginalUseByBorrower bool // the vehicle's original use began with the borrower
	PersonalUse           bool // bought for personal use, not for a business
	FirstLien             bool // the loan is secured by a first lien on the vehicle
	VehicleType           VehicleType
	GVWRLbs               int
	USFinalAssembly       bool // final assembly in the United States (the VIN's plant)
	OriginationDate       calendar.Date
	// AcquisitionDate is when the lender bought the contract from the
	// dealer that originated it (0 when the lender originated it).
	AcquisitionDate calendar.Date
	// TaxpayerIDLast4 is set by [VehicleLoanData]; SetVehicleLoanData
	// ignores it.
	TaxpayerIDLast4 string
}

// ErrInvalid wraps every rejection of bad tax data; ErrNotFound a
// contract that does not exist.
var (
	ErrInvalid  = errors.New("invalid tax data")
	ErrNotFound = errors.New("not found")
)

// NormalizeTIN returns a taxpayer id's nine digits, without the dashes
// and spaces people write, or ErrInvalid.
func NormalizeTIN(s string) (string, error) {
	d := strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, s)
	if len(d) != 9 || strings.Trim(d, "0123456789") != "" {
		return "", fmt.Errorf("taxpayer id must be nine digits: %w", ErrInvalid)
	}
	return d, nil
}

// ValidateTIN checks a taxpayer id of a kind and returns its nine digits.
// An SSN (SSA's rules, 20 CFR 422.103 and the randomization of 2011)
// never has area 000, 666 or 900-999, group 00 or serial 0000. An ITIN
// begins with 9 and its fourth and fifth digits are 50-65, 70-88, 90-92
// or 94-99 (IRS). An EIN's two-digit prefix is one the IRS assigns (not
// 00, 07-09, 17-19, 28, 29, 49, 69, 70, 78, 79, 89, 96 or 97) and its
// other seven digits are not all zero. kind "" is an ITIN when the id
// begins with 9 and an SSN otherwise.
func ValidateTIN(s string, kind TINKind) (string, TINKind, error) {
	d, err := NormalizeTIN(s)
	if err != nil {
		return "", "", err
	}
	if kind == "" {
		kind = TINSSN
		if d[0] == '9' {
			kind = TINITIN
		}
	}
	area, _ := strconv.Atoi(d[:3])
	group, _ := strconv.Atoi(d[3:5])
	switch kind {
	case TINSSN:
		switch {
		case area == 0 || area == 666 || area >= 900:
			return "", "", fmt.Errorf("SSN area %03d is never issued: %w", area, ErrInvalid)
		case group == 0:
			return "", "", fmt.Errorf("SSN group 00 is never issued: %w", ErrInvalid)
		case d[5:] == "0000":
			return "", "", fmt.Errorf("SSN serial 0000 is never issued: %w", ErrInvalid)
		}
	case TINITIN:
		itinGroup := group >= 50 && group <= 65 || group >= 70 && group <= 88 || group >= 90 && group <= 92 || group >= 94
		if d[0] != '9' || !itinGroup {
			return "", "", fmt.Errorf("not an ITIN (9XX-[50-65|70-88|90-92|94-99]-XXXX): %w", ErrInvalid)
		}
	case TINEIN:
		prefix, _ := strconv.Atoi(d[:2])
		switch prefix {
		case 0, 7, 8, 9, 17, 18, 19, 28, 29, 49, 69, 70, 78, 79, 89, 96, 97:
			return "", "", fmt.Errorf("EIN prefix %02d is not assigned: %w", prefix, ErrInvalid)
		}
		if d[2:] == "0000000" {
			return "", "", fmt.Errorf("EIN serial 0000000: %w", ErrInvalid)
		}
	default:
		return "", "", fmt.Errorf("taxpayer id kind %q: %w", kind, ErrInvalid)
	}
	return d, kind, nil
}

// MaskTIN shows a taxpayer id by its last four digits: ***-**-1234.
func MaskTIN(last4 string) string { return "***-**-" + last4 }

// tinAAD binds a sealed taxpayer id to its contract: a ciphertext copied
// onto another contract's row does not open.
func tinAAD(contractID int64) string {
	return "carfin/contract_tax_data/contract:" + strconv.FormatInt(contractID, 10)
}

// validate checks everything but the taxpayer id.
func (d Data) validate() error {
	switch {
	case d.Condition != ConditionNew && d.Condition != ConditionUsed:
		return fmt.Errorf("condition %q (new or used): %w", d.Condition, ErrInvalid)
	case !validVehicleType(d.VehicleType):
		return fmt.Errorf("vehicle type %q: %w", d.VehicleType, ErrInvalid)
	case d.GVWRLbs <= 0 || d.GVWRLbs > gvwrLbsMax:
		return fmt.Errorf("gross vehicle weight rating %d lb (1-%d): %w", d.GVWRLbs, gvwrLbsMax, ErrInvalid)
	case d.OriginationDate == 0:
		return fmt.Errorf("origination date is required: %w", ErrInvalid)
	case d.AcquisitionDate != 0 && d.AcquisitionDate < d.OriginationDate:
		return fmt.Errorf("acquisition %s before origination %s: %w", d.AcquisitionDate, d.OriginationDate, ErrInvalid)
	case d.Condition == ConditionUsed && d.OriginalUseByBorrower:
		return fmt.Errorf("a used vehicle's original use did not begin with the borrower: %w", ErrInvalid)
	}
	return nil
}

func validVehicleType(t VehicleType) bool {
	switch t {
	case VehicleCar, VehicleMinivan, VehicleVan, VehicleSUV, VehiclePickup, VehicleMotorcycle, VehicleOther:
		return true
	}
	return false
}

func b01(b bool) int {
	if b {
		return 1
	}
	return 0
}

// SetVehicleLoanData validates a loan's tax data and records it in tx,
// replacing what was recorded before; the taxpayer id is sealed with keys,
// bound to the contract. Bad input returns an error wrapping ErrInvalid
// and writes nothing; a contract that does not exist, ErrNotFound. Data
// may be recorded for a lease too (it never qualifies).
func SetVehicleLoanData(ctx context.Context, tx *db.Tx, keys *keyring.Keyring, contractID int64, d Data) error {
	if keys == nil {
		return fmt.Errorf("tax data of contract %d: no key ring to seal the taxpayer id: %w", contractID, ErrInvalid)
	}
	tin, kind, err := ValidateTIN(d.TaxpayerID, d.TaxpayerIDKind)
	if err != nil {
		return fmt.Errorf("tax data of contract %d: %w", contractID, err)
	}
	if err := d.validate(); err != nil {
		return fmt.Errorf("tax data of contract %d: %w", contractID, err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM contracts WHERE id = $1`, contractID).Scan(&n); err != nil {
		return fmt.Errorf("tax data of contract %d: %w", contractID, err)
	}
	if n == 0 {
		return fmt.Errorf("contract %d: %w", contractID, ErrNotFound)
	}
	keyID, sealed := keys.Seal(tin, tinAAD(contractID))
	_, err = tx.ExecContext(ctx, `INSERT INTO contract_tax_data (contract_id, taxpayer_id_kind, taxpayer_id_key_id, taxpayer_id_sealed,
		taxpayer_id_last4, condition, original_use_by_borrower, personal_use, first_lien, vehicle_type, gvwr_lbs, us_final_assembly,
		origination_date, acquisition_date, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
		ON CONFLICT (contract_id) DO UPDATE SET taxpayer_id_kind = excluded.taxpayer_id_kind,
		taxpayer_id_key_id = excluded.taxpayer_id_key_id, taxpayer_id_sealed = excluded.taxpayer_id_sealed,
		taxpayer_id_last4 = excluded.taxpayer_id_last4, condition = excluded.condition,
		original_use_by_borrower = excluded.original_use_by_borrower, personal_use = excluded.personal_use,
		first_lien = excluded.first_lien, vehicle_type = excluded.vehicle_type, gvwr_lbs = excluded.gvwr_lbs,
		us_final_assembly = excluded.us_final_assembly, origination_date = excluded.origination_date,
		acquisition_date = excluded.acquisition_date, updated_at = excluded.updated_at`,
		contractID, string(kind), keyID, sealed, tin[5:], string(d.Condition), b01(d.OriginalUseByBorrower), b01(d.PersonalUse),
		b01(d.FirstLien), string(d.VehicleType), d.GVWRLbs, b01(d.USFinalAssembly), d.OriginationDate, d.AcquisitionDate, tx.Now())
	if err != nil {
		return fmt.Errorf("tax data of contract %d: %w", contractID, err)
	}
	return nil
}

const dataColumns = `taxpayer_id_kind, taxpayer_id_last4, condition, original_use_by_borrower, personal_use, first_lien,
	vehicle_type, gvwr_lbs, us_final_assembly, origination_date, acquisition_date`

func scanData(s interface{ Scan(...any) error }, extra ...any) (Data, error) {
	var d Data
	var kind, cond, vt string
	var orig, pers, lien, us int
	dest := append([]any{&kind, &d.TaxpayerIDLast4, &cond, &orig, &pers, &lien, &vt, &d.GVWRLbs, &us, &d.OriginationDate, &d.AcquisitionDate}, extra...)
	if err := s.Scan(dest...); err != nil {
		return Data{}, err
	}
	d.TaxpayerIDKind, d.Condition, d.VehicleType = TINKind(kind), Condition(cond), VehicleType(vt)
	d.OriginalUseByBorrower, d.PersonalUse, d.FirstLien, d.USFinalAssembly = orig == 1, pers == 1, lien == 1, us == 1
	return d, nil
}

// VehicleLoanData returns a contract's tax data with the taxpayer id
// masked (TaxpayerID is "***-**-1234"), and ok false when none is
// recorded.
func VehicleLoanData(ctx context.Context, q db.Querier, contractID int64) (d Data, ok bool, err error) {
	d, err = scanData(q.QueryRowContext(ctx, `SELECT `+dataColumns+` FROM contract_tax_data WHERE contract_id = $1`, contractID))
	if errors.Is(err, sql.ErrNoRows) {
		return Data{}, false, nil
	}
	if err != nil {
		return Data{}, false, fmt.Errorf("tax data of contract %d: %w", contractID, err)
	}
	d.TaxpayerID = MaskTIN(d.TaxpayerIDLast4)
	return d, true, nil
}

// openTIN returns a contract's full taxpayer id: for the filing export
// only.
func openTIN(ctx context.Context, q db.Querier, keys *keyring.Keyring, contractID int64) (string, error) {
	var keyID string
	var sealed []byte
	if err := q.QueryRowContext(ctx, `SELECT taxpayer_id_key_id, taxpayer_id_sealed FROM contract_tax_data WHERE contract_id = $1`,
		contractID).Scan(&keyID, &sealed); err != nil {
		return "", fmt.Errorf("taxpayer id of contract %d: %w", contractID, err)
	}
	tin, err := keys.Open(keyID, sealed, tinAAD(contractID))
	if err != nil {
		return "", fmt.Errorf("taxpayer id of contract %d: %w", contractID, err)
	}
	return tin, nil
}
