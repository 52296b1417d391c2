package tax_test

import (
	"errors"
	"fmt"
	"testing"

	"carfin/calendar"
	"carfin/servicing"
	"carfin/tax"
)

// qualifying is a loan that qualifies: every case below changes one fact.
func qualifying() tax.Facts {
	return tax.Facts{Kind: servicing.KindLoan, HasData: true, Year: 2025, InterestCents: 600_00, Data: tax.Data{
		Condition: tax.ConditionNew, OriginalUseByBorrower: true, PersonalUse: true, FirstLien: true,
		VehicleType: tax.VehiclePickup, GVWRLbs: 13_999, USFinalAssembly: true, OriginationDate: calendar.MustParse("2025-01-01")}}
}

// TestEligible holds Eligible to 26 USC 6050AA and 163(h)(4): a loan (not
// a lease) first incurred after 2024-12-31 for a new vehicle whose
// original use began with the borrower, for personal use, under a first
// lien, a car/minivan/van/SUV/pickup/motorcycle under 14,000 lb GVWR
// assembled in the US, $600 or more of interest in a tax year 2025-2028.
func TestEligible(t *testing.T) {
	cases := []struct {
		name   string
		change func(*tax.Facts)
		want   tax.Reason
	}{
		{"qualifies: $600.00 exactly, 13,999 lb, originated 2025-01-01", func(*tax.Facts) {}, tax.ReasonNone},
		{"qualifies in 2028, the last tax year", func(f *tax.Facts) { f.Year = 2028 }, tax.ReasonNone},
		{"each qualified type: car", func(f *tax.Facts) { f.Data.VehicleType = tax.VehicleCar }, tax.ReasonNone},
		{"minivan", func(f *tax.Facts) { f.Data.VehicleType = tax.VehicleMinivan }, tax.ReasonNone},
		{"van", func(f *tax.Facts) { f.Data.VehicleType = tax.VehicleVan }, tax.ReasonNone},
		{"suv", func(f *tax.Facts) { f.Data.VehicleType = tax.VehicleSUV }, tax.ReasonNone},
		{"motorcycle", func(f *tax.Facts) { f.Data.VehicleType = tax.VehicleMotorcycle }, tax.ReasonNone},
		{"acquired from the dealer later", func(f *tax.Facts) { f.Data.AcquisitionDate = calendar.MustParse("2025-02-01") }, tax.ReasonNone},
		{"a lease never qualifies", func(f *tax.Facts) { f.Kind = servicing.KindLease }, tax.ReasonLease},
		{"2024 is before the law", func(f *tax.Facts) { f.Year = 2024 }, tax.ReasonTaxYear},
		{"2029 is after it", func(f *tax.Facts) { f.Year = 2029 }, tax.ReasonTaxYear},
		{"no tax data recorded", func(f *tax.Facts) { f.HasData = false }, tax.ReasonNoData},
		{"originated 2024-12-31", func(f *tax.Facts) { f.Data.OriginationDate = calendar.MustParse("2024-12-31") }, tax.ReasonOriginated},
		{"used vehicle", func(f *tax.Facts) { f.Data.Condition, f.Data.OriginalUseByBorrower = tax.ConditionUsed, false }, tax.ReasonUsed},
		{"new, but original use began with someone else (a demonstrator)", func(f *tax.Facts) { f.Data.OriginalUseByBorrower = false }, tax.ReasonUsed},
		{"business use", func(f *tax.Facts) { f.Data.PersonalUse = false }, tax.ReasonBusinessUse},
		{"second lien", func(f *tax.Facts) { f.Data.FirstLien = false }, tax.ReasonNoFirstLien},
		{"other vehicle type (an RV)", func(f *tax.Facts) { f.Data.VehicleType = tax.VehicleOther }, tax.ReasonVehicleType},
		{"14,000 lb GVWR", func(f *tax.Facts) { f.Data.GVWRLbs = 14_000 }, tax.ReasonGVWR},
		{"assembled abroad", func(f *tax.Facts) { f.Data.USFinalAssembly = false }, tax.ReasonAssembly},
		{"$599.99 of interest", func(f *tax.Facts) { f.InterestCents = 599_99 }, tax.ReasonUnderThreshold},
		{"no interest", func(f *tax.Facts) { f.InterestCents = 0 }, tax.ReasonUnderThreshold},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := qualifying()
			tc.change(&f)
			ok, why := tax.Eligible(f)
			if why != tc.want || ok != (tc.want == tax.ReasonNone) {
				t.Errorf("Eligible = %v, %q; want %q", ok, why, tc.want)
			}
		})
	}
}

// TestValidateTIN: SSNs as SSA issues them (no area 000, 666 or 9xx, no
// group 00, no serial 0000), ITINs (9, then group 50-65, 70-88, 90-92,
// 94-99), EINs with an assigned prefix.
func TestValidateTIN(t *testing.T) {
	cases := []struct {
		in       string
		kind     tax.TINKind
		want     string // "" : invalid
		kindWant tax.TINKind
	}{
		{"123-45-6789", "", "123456789", tax.TINSSN},
		{"123 45 6789", tax.TINSSN, "123456789", tax.TINSSN},
		{"001-01-0001", "", "001010001", tax.TINSSN},
		{"000-12-3456", "", "", ""},
		{"666-12-3456", tax.TINSSN, "", ""},
		{"900-12-3456", tax.TINSSN, "", ""},
		{"123-00-4567", "", "", ""},
		{"123-45-0000", "", "", ""},
		{"12345678", "", "", ""},
		{"1234567890", "", "", ""},
		{"12345678a", "", "", ""},
		{"", "", "", ""},
		{"912-70-1234", "", "912701234", tax.TINITIN},
		{"912-93-1234", "", "", ""},
		{"912-49-1234", tax.TINITIN, "", ""},
		{"123-70-1234", tax.TINITIN, "", ""},
		{"12-3456789", tax.TINEIN, "123456789", tax.TINEIN},
		{"07-3456789", tax.TINEIN, "", ""},
		{"00-3456789", tax.TINEIN, "", ""},
		{"12-0000000", tax.TINEIN, "", ""},
		{"123456789", "passport", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.in+"/"+string(tc.kind), func(t *testing.T) {
			got, kind, err := tax.ValidateTIN(tc.in, tc.kind)
			if tc.want == "" {
				if !errors.Is(err, tax.ErrInvalid) {
					t.Errorf("ValidateTIN(%q) = %q, %v; want ErrInvalid", tc.in, got, err)
				}
				return
			}
			if err != nil || got != tc.want || kind != tc.kindWant {
				t.Errorf("ValidateTIN(%q) = %q, %q, %v; want %q, %q", tc.in, got, kind, err, tc.want, tc.kindWant)
			}
		})
	}
	if m := tax.MaskTIN("6789"); m != "***-**-6789" {
		t.Errorf("mask %q", m)
	}
}

// TestDueBy: January 31 of the next year, or the next business day.
func TestDueBy(t *testing.T) {
	for year, want := range map[int]string{
		2025: "2026-02-02", // Saturday 2026-01-31
		2026: "2027-02-01", // Sunday 2027-01-31
		2027: "2028-01-31", // Monday
		2028: "2029-01-31", // Wednesday
	} {
		if got := tax.DueBy(year); got != calendar.MustParse(want) {
			t.Errorf("DueBy(%d) = %s, want %s", year, got, want)
		}
	}
}

func TestCorrectionYears(t *testing.T) {
	for today, want := range map[string]string{"2025-06-01": "[]", "2026-01-12": "[2025]", "2028-12-31": "[2025 2026 2027]", "2035-01-01": "[2025 2026 2027 2028]"} {
		if got := fmt.Sprint(tax.CorrectionYears(calendar.MustParse(today))); got != want {
			t.Errorf("CorrectionYears(%s) = %s, want %s", today, got, want)
		}
	}
}
