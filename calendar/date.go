// Package calendar holds civil dates (no time zone), month arithmetic as
// loan contracts use it, and US business days by the Federal Reserve
// holiday calendar. It is pure: no clock, no I/O.
package calendar

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Date is a civil date, counted in days since 0001-01-01 (which is Date(1)).
// The zero Date means "no date". Days between two dates is b - a.
type Date int32

// unixEpochDays is Date(1970-01-01): days from 0001-01-01 to 1970-01-01 + 1.
const unixEpochDays = 719163

// Range limits keep every date a four-digit year, which is what the
// 'YYYY-MM-DD' text form, SQL DATE and contracts all assume.
var (
	minDate = New(1900, time.January, 1)
	maxDate = New(2199, time.December, 31)
)

// ErrDate is returned for text that is not a valid YYYY-MM-DD date between
// 1900 and 2199.
var ErrDate = errors.New("not a date (YYYY-MM-DD, years 1900–2199)")

// New returns the date y-m-d. Out-of-range days roll over as time.Date does
// (New(2024, 2, 30) is 2024-03-01); use Parse to validate input.
func New(y int, m time.Month, d int) Date {
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return Date(t.Unix()/86400 + unixEpochDays)
}

// Of returns the civil date of t in t's own location.
func Of(t time.Time) Date {
	y, m, d := t.Date()
	return New(y, m, d)
}

// Parse reads a date in the form YYYY-MM-DD exactly (no time, no zone),
// between 1900-01-01 and 2199-12-31. It returns ErrDate otherwise,
// including for impossible days such as 2023-02-29.
func Parse(s string) (Date, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, fmt.Errorf("%q: %w", s, ErrDate)
	}
	num := func(p string) (int, bool) {
		n := 0
		for i := range len(p) {
			if p[i] < '0' || p[i] > '9' {
				return 0, false
			}
			n = n*10 + int(p[i]-'0')
		}
		return n, true
	}
	y, ok1 := num(s[0:4])
	m, ok2 := num(s[5:7])
	d, ok3 := num(s[8:10])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > DaysIn(y, time.Month(m)) {
		return 0, fmt.Errorf("%q: %w", s, ErrDate)
	}
	dt := New(y, time.Month(m), d)
	if dt < minDate || dt > maxDate {
		return 0, fmt.Errorf("%q: %w", s, ErrDate)
	}
	return dt, nil
}

// MustParse is Parse for literals; it panics on a malformed one.
func MustParse(s string) Date {
	d, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return d
}

// Time returns midnight UTC of d.
func (d Date) Time() time.Time {
	return time.Unix(int64(d-unixEpochDays)*86400, 0).UTC()
}

// Date returns the year, month and day of d.
func (d Date) Date() (int, time.Month, int) { return d.Time().Date() }

// Year returns d's year.
func (d Date) Year() int { y, _, _ := d.Date(); return y }

// Month returns d's month.
func (d Date) Month() time.Month { _, m, _ := d.Date(); return m }

// Day returns d's day of the month.
func (d Date) Day() int { _, _, dd := d.Date(); return dd }

// Weekday returns d's day of the week.
func (d Date) Weekday() time.Weekday {
	// 0001-01-01 (Date 1) was a Monday.
	return time.Weekday((int(d) % 7))
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == 0 }

// AddDays returns d + n days.
func (d Date) AddDays(n int) Date { return d + Date(n) }

// DaysUntil returns the number of days from d to e (negative if e is before d).
func (d Date) DaysUntil(e Date) int { return int(e - d) }

// AddMonths returns the date n months after d, clamped to the end of the
// month: 2024-01-31 + 1 month is 2024-02-29. Repeated clamping drifts
// (Jan 31 → Feb 29 → Mar 29), so monthly schedules call MonthlyOn with the
// contract's due day instead of chaining AddMonths.
func (d Date) AddMonths(n int) Date {
	y, m, dd := d.Date()
	return MonthlyOn(y, m+time.Month(n), dd)
}

// MonthlyOn returns day dueDay of month m of year y (m may be out of
// 1..12 and is normalised), clamped to the month's last day: a loan due on
// the 31st is due on Feb 28 or 29 and on Mar 31.
func MonthlyOn(y int, m time.Month, dueDay int) Date {
	first := New(y, m, 1)
	fy, fm, _ := first.Date()
	if last := DaysIn(fy, fm); dueDay > last {
		dueDay = last
	}
	return New(fy, fm, dueDay)
}

// DaysIn returns the number of days in month m of year y.
func DaysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// IsLeap reports whether y is a leap year.
func IsLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// String returns d as YYYY-MM-DD, or "" for the zero Date.
func (d Date) String() string {
	if d == 0 {
		return ""
	}
	y, m, dd := d.Date()
	b := make([]byte, 10)
	put := func(at, v, w int) {
		for i := w - 1; i >= 0; i-- {
			b[at+i] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, y, 4)
	b[4] = '-'
	put(5, int(m), 2)
	b[7] = '-'
	put(8, dd, 2)
	return string(b)
}

// MarshalJSON writes "YYYY-MM-DD" (null for the zero Date).
func (d Date) MarshalJSON() ([]byte, error) {
	if d == 0 {
		return []byte("null"), nil
	}
	return json.Marshal(d.String())
}

// UnmarshalJSON reads "YYYY-MM-DD" or null.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = 0
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("date must be a string: %w", ErrDate)
	}
	v, err := Parse(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Value stores a Date as the text 'YYYY-MM-DD' on both SQL engines, so
// that comparisons in SQL compare like with like (a time.Time would be
// stored by SQLite as '2026-11-01T00:00:00Z'). The zero Date is NULL.
func (d Date) Value() (driver.Value, error) {
	if d == 0 {
		return nil, nil
	}
	return d.String(), nil
}

// Scan reads a Date from a DATE column (PostgreSQL gives time.Time) or a
// TEXT column (SQLite gives string or []byte). NULL scans as the zero Date.
func (d *Date) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d = 0
		return nil
	case time.Time:
		*d = New(v.Date())
		return nil
	case string:
		return d.scanText(v)
	case []byte:
		return d.scanText(string(v))
	}
	return fmt.Errorf("calendar: cannot scan %T into Date", src)
}

func (d *Date) scanText(s string) error {
	if len(s) > 10 { // tolerate '2026-11-01T00:00:00Z' written by other tools
		s = s[:10]
	}
	v, err := Parse(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}
