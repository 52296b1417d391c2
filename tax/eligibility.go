package tax

import (
	"carfin/calendar"
	"carfin/money"
	"carfin/servicing"
)

// The law's bounds, as named constants.
const (
	// FirstTaxYear and LastTaxYear: 26 USC 163(h)(4)(A) allows the
	// deduction for tax years beginning after December 31, 2024 and
	// before January 1, 2029, and 6050AA reporting follows it.
	FirstTaxYear = 2025
	LastTaxYear  = 2028
	// ReportingThresholdCents: 26 USC 6050AA(a) asks for a return from a
	// lender that receives $600 or more of interest in a calendar year on
	// a specified passenger vehicle loan (the threshold is per loan).
	ReportingThresholdCents money.Cents = 600_00
	// GVWRLbsLimit: a qualified passenger vehicle has a gross vehicle
	// weight rating under 14,000 pounds (163(h)(4)(D)(i)).
	GVWRLbsLimit = 14_000
	// DeductionLimitCents is the most a taxpayer may deduct in a year
	// (163(h)(4)(B)), reduced above income thresholds: what the borrower
	// statement tells, never a figure carfin applies.
	DeductionLimitCents money.Cents = 10_000_00
)

// originatedAfter: 163(h)(4)(C)(i): the loan's indebtedness was first
// incurred after December 31, 2024.
var originatedAfter = calendar.New(2024, 12, 31)

// Reason says why a loan does not qualify for a return in a year ("" when
// it does).
type Reason string

const (
	ReasonNone           Reason = ""
	ReasonLease          Reason = "lease"             // 6050AA covers loans; a lease is not indebtedness
	ReasonNoData         Reason = "no_tax_data"       // carfin does not know the vehicle's facts
	ReasonTaxYear        Reason = "tax_year"          // outside 2025-2028
	ReasonOriginated     Reason = "originated_before" // first incurred on or before 2024-12-31
	ReasonUsed           Reason = "used_vehicle"      // original use did not begin with the borrower
	ReasonBusinessUse    Reason = "business_use"      // not for personal use
	ReasonNoFirstLien    Reason = "no_first_lien"     // not secured by a first lien on the vehicle
	ReasonVehicleType    Reason = "vehicle_type"      // not a car, minivan, van, SUV, pickup or motorcycle
	ReasonGVWR           Reason = "gvwr"              // rated 14,000 lb or more
	ReasonAssembly       Reason = "foreign_assembly"  // final assembly outside the United States
	ReasonUnderThreshold Reason = "under_threshold"   // less than $600 of interest received in the year
)

// Facts are what eligibility is decided on: the contract's kind, its tax
// data (HasData false when none is recorded), the tax year and the
// interest received in it.
type Facts struct {
	Kind          servicing.Kind
	HasData       bool
	Data          Data
	Year          int
	InterestCents money.Cents
}

// Eligible decides whether a loan calls for a Form 1098-VLI for a year,
// and if not, the first reason it does not. A specified passenger vehicle
// loan (26 USC 6050AA(e), 163(h)(4)(C)) is a loan, first incurred after
// 2024-12-31, to buy a new vehicle whose original use began with the
// borrower, for personal use, secured by a first lien on it; the vehicle
// is a car, minivan, van, SUV, pickup or motorcycle rated under 14,000 lb
// whose final assembly was in the United States (163(h)(4)(D)). The
// return is due for the tax years 2025-2028 when $600 or more of interest
// was received in the year (6050AA(a)). Leases never qualify.
func Eligible(f Facts) (bool, Reason) {
	d := f.Data
	switch {
	case f.Kind != servicing.KindLoan:
		return false, ReasonLease
	case f.Year < FirstTaxYear || f.Year > LastTaxYear:
		return false, ReasonTaxYear
	case !f.HasData:
		return false, ReasonNoData
	case d.OriginationDate <= originatedAfter:
		return false, ReasonOriginated
	case d.Condition != ConditionNew || !d.OriginalUseByBorrower:
		return false, ReasonUsed
	case !d.PersonalUse:
		return false, ReasonBusinessUse
	case !d.FirstLien:
		return false, ReasonNoFirstLien
	case !qualifiedType(d.VehicleType):
		return false, ReasonVehicleType
	case d.GVWRLbs >= GVWRLbsLimit:
		return false, ReasonGVWR
	case !d.USFinalAssembly:
		return false, ReasonAssembly
	case f.InterestCents < ReportingThresholdCents:
		return false, ReasonUnderThreshold
	}
	return true, ReasonNone
}

func qualifiedType(t VehicleType) bool {
	return validVehicleType(t) && t != VehicleOther
}
