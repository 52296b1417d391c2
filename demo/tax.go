package demo

import (
	"context"
	"fmt"
	"strings"

	"carfin/calendar"
	"carfin/db"
	"carfin/keyring"
	"carfin/servicing"
	"carfin/tax"
)

// demoGVWRLbs are typical gross vehicle weight ratings of the demo's body
// types.
var demoGVWRLbs = map[tax.VehicleType]int{tax.VehicleCar: 3_900, tax.VehicleSUV: 5_300, tax.VehiclePickup: 7_050}

// bodyType is the body type of a demo model.
func bodyType(model string) tax.VehicleType {
	switch model {
	case "F-150":
		return tax.VehiclePickup
	case "Civic":
		return tax.VehicleCar
	}
	return tax.VehicleSUV
}

// FillTaxData records the vehicle loan interest facts (tax.Data) of every
// contract of the demo book, so that the book shows Form 1098-VLI's cases:
// loans signed in 2025 or later for a vehicle of the model year or the
// one before or after it are new vehicles bought for personal use under
// a first lien, and most qualify; every fifth of those was assembled
// abroad and the next is for business use, and every third was bought
// from the dealer ten days after it was signed; older model years are
// used vehicles; loans signed before 2025 and leases never qualify. The
// taxpayer ids are fictional SSNs ending in the customer's last four
// digits, sealed with keys. It can run again (each contract's data is
// replaced by the same).
func FillTaxData(ctx context.Context, d *db.DB, keys *keyring.Keyring) error {
	rows, err := d.Read.QueryContext(ctx, `SELECT c.id, c.kind, c.contract_date, c.customer_id, u.ssn_last4, v.year, v.model
		FROM contracts c JOIN customers u ON u.id = c.customer_id JOIN vehicles v ON v.id = c.vehicle_id ORDER BY c.id`)
	if err != nil {
		return fmt.Errorf("demo tax data: %w", err)
	}
	type row struct {
		id, customer int64
		kind         servicing.Kind
		signed       calendar.Date
		last4        string
		year         int
		model        string
	}
	var all []row
	for rows.Next() {
		var r row
		var kind string
		if err := rows.Scan(&r.id, &kind, &r.signed, &r.customer, &r.last4, &r.year, &r.model); err != nil {
			rows.Close()
			return fmt.Errorf("demo tax data: %w", err)
		}
		r.kind = servicing.Kind(kind)
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("demo tax data: %w", err)
	}
	newLoans := 0
	return d.InTx(ctx, func(tx *db.Tx) error {
		for _, r := range all {
			last4 := r.last4
			if last4 == "0000" {
				last4 = "0001" // an SSN's serial is never 0000
			}
			vt := bodyType(r.model)
			data := tax.Data{
				TaxpayerID: fmt.Sprintf("%03d-%02d-%s", 100+r.customer%500, 10+r.customer%89, last4),
				Condition:  tax.ConditionUsed, PersonalUse: true, FirstLien: true, VehicleType: vt, GVWRLbs: demoGVWRLbs[vt],
				USFinalAssembly: true, OriginationDate: r.signed,
			}
			if y := r.signed.Year(); r.year >= y-1 && r.year <= y+1 {
				data.Condition, data.OriginalUseByBorrower = tax.ConditionNew, true
			}
			if r.kind == servicing.KindLoan && data.Condition == tax.ConditionNew && r.signed.Year() >= tax.FirstTaxYear {
				switch newLoans % 5 {
				case 3:
					data.USFinalAssembly = false
				case 4:
					data.PersonalUse = false
				}
				if newLoans%3 == 1 {
					data.AcquisitionDate = r.signed.AddDays(10)
				}
				newLoans++
			}
			if err := tax.SetVehicleLoanData(ctx, tx, keys, r.id, data); err != nil {
				return fmt.Errorf("demo tax data of contract %d (%s): %w", r.id, strings.ToLower(string(r.kind)), err)
			}
		}
		return nil
	})
}
