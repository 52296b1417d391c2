package servicing

import (
	"encoding/binary"
	"errors"
	"fmt"

	"carfin/calendar"
	"carfin/money"
)

// The installment schedule is stored twice, both written once at funding
// and never changed: as rows of the installments table, for SQL and
// reports, and packed into one column of the contract, so that posting a
// payment reads one row instead of sixty. `carfin check` verifies that the
// two agree.
//
// Packed form: a version byte, the count, then for each installment the
// days since the previous due date (the first: since the contract date)
// and the amount, depreciation, rent and tax as varints.

const packVersion = 1

// installmentsMax bounds a packed schedule (600 monthly payments is the
// longest term carfin accepts).
const installmentsMax = 600

var errPacked = errors.New("malformed packed schedule")

func packSchedule(contractDate calendar.Date, ins []Due) []byte {
	b := make([]byte, 0, 2+len(ins)*12)
	b = append(b, packVersion)
	b = binary.AppendUvarint(b, uint64(len(ins)))
	prev := contractDate
	for _, in := range ins {
		b = binary.AppendVarint(b, int64(in.Date-prev))
		b = binary.AppendVarint(b, int64(in.AmountCents))
		b = binary.AppendVarint(b, int64(in.DepreciationCents))
		b = binary.AppendVarint(b, int64(in.RentCents))
		b = binary.AppendVarint(b, int64(in.TaxCents))
		prev = in.Date
	}
	return b
}

func unpackSchedule(contractDate calendar.Date, b []byte) ([]Due, error) {
	if len(b) < 2 || b[0] != packVersion {
		return nil, errPacked
	}
	b = b[1:]
	n, w := binary.Uvarint(b)
	if w <= 0 || n > installmentsMax {
		return nil, errPacked
	}
	b = b[w:]
	out := make([]Due, n)
	prev := contractDate
	var cum money.Cents
	for i := range out {
		var v [5]int64
		for j := range v {
			x, w := binary.Varint(b)
			if w <= 0 {
				return nil, fmt.Errorf("installment %d: %w", i+1, errPacked)
			}
			v[j] = x
			b = b[w:]
		}
		prev += calendar.Date(v[0])
		cum += money.Cents(v[1])
		out[i] = Due{Number: i + 1, Date: prev, AmountCents: money.Cents(v[1]), CumulativeCents: cum,
			DepreciationCents: money.Cents(v[2]), RentCents: money.Cents(v[3]), TaxCents: money.Cents(v[4])}
	}
	if len(b) != 0 {
		return nil, errPacked
	}
	return out, nil
}
