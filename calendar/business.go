package calendar

import (
	"errors"
	"fmt"
	"time"
)

// Holiday is a Federal Reserve holiday: the date the Fed is closed and its
// name.
type Holiday struct {
	Date Date
	Name string
}

// Holidays returns the Federal Reserve holidays observed in year y, in date
// order. A holiday falling on a Sunday is observed on the Monday after; a
// holiday falling on a Saturday is not moved (the Fed is open the Friday
// before), so it costs no business day. Juneteenth counts from 2022, the
// first year the Federal Reserve Banks observed it.
func Holidays(y int) []Holiday {
	fixed := func(m time.Month, d int, name string) Holiday {
		dt := New(y, m, d)
		if dt.Weekday() == time.Sunday {
			dt++
		}
		return Holiday{dt, name}
	}
	nth := func(m time.Month, wd time.Weekday, n int, name string) Holiday {
		first := New(y, m, 1)
		off := (int(wd) - int(first.Weekday()) + 7) % 7
		return Holiday{first + Date(off+7*(n-1)), name}
	}
	last := func(m time.Month, wd time.Weekday, name string) Holiday {
		end := New(y, m, DaysIn(y, m))
		off := (int(end.Weekday()) - int(wd) + 7) % 7
		return Holiday{end - Date(off), name}
	}
	hs := []Holiday{
		fixed(time.January, 1, "New Year's Day"),
		nth(time.January, time.Monday, 3, "Birthday of Martin Luther King, Jr."),
		nth(time.February, time.Monday, 3, "Washington's Birthday"),
		last(time.May, time.Monday, "Memorial Day"),
	}
	if y >= 2022 {
		hs = append(hs, fixed(time.June, 19, "Juneteenth National Independence Day"))
	}
	return append(hs,
		fixed(time.July, 4, "Independence Day"),
		nth(time.September, time.Monday, 1, "Labor Day"),
		nth(time.October, time.Monday, 2, "Columbus Day"),
		fixed(time.November, 11, "Veterans Day"),
		nth(time.November, time.Thursday, 4, "Thanksgiving Day"),
		fixed(time.December, 25, "Christmas Day"),
	)
}

// holidayCache holds the holiday set for the years contracts live in, so
// that business-day loops over millions of contracts do no allocation.
var holidayCache = func() map[Date]string {
	m := make(map[Date]string, 12*300)
	for y := minDate.Year(); y <= maxDate.Year(); y++ {
		for _, h := range Holidays(y) {
			m[h.Date] = h.Name
		}
	}
	return m
}()

// HolidayName returns the name of the Federal Reserve holiday observed on d,
// or "" if d is not one.
func HolidayName(d Date) string { return holidayCache[d] }

// IsBusinessDay reports whether d is a Monday–Friday that is not a Federal
// Reserve holiday.
func IsBusinessDay(d Date) bool {
	wd := d.Weekday()
	if wd == time.Saturday || wd == time.Sunday {
		return false
	}
	_, hol := holidayCache[d]
	return !hol
}

// NextBusinessDay returns the first business day strictly after d.
func NextBusinessDay(d Date) Date {
	d++
	for !IsBusinessDay(d) {
		d++
	}
	return d
}

// PreviousBusinessDay returns the last business day strictly before d.
func PreviousBusinessDay(d Date) Date {
	d--
	for !IsBusinessDay(d) {
		d--
	}
	return d
}

// OnOrAfterBusinessDay returns d if it is a business day, else the next one.
func OnOrAfterBusinessDay(d Date) Date {
	if IsBusinessDay(d) {
		return d
	}
	return NextBusinessDay(d)
}

// AddBusinessDays moves n business days from d: forward for n > 0, back for
// n < 0. For n = 0 it returns d unchanged, business day or not.
func AddBusinessDays(d Date, n int) Date {
	for ; n > 0; n-- {
		d = NextBusinessDay(d)
	}
	for ; n < 0; n++ {
		d = PreviousBusinessDay(d)
	}
	return d
}

// BusinessDaysBetween counts business days in (a, b]: the number of
// AddBusinessDays steps from a to reach b. It returns 0 if b ≤ a.
func BusinessDaysBetween(a, b Date) int {
	n := 0
	for d := a + 1; d <= b; d++ {
		if IsBusinessDay(d) {
			n++
		}
	}
	return n
}

// Cutoff is a lender's daily payment cut-off: a time of day in the lender's
// time zone. Payments made at or after it take effect the next business day.
type Cutoff struct {
	Hour, Minute int
	Location     *time.Location
}

// ErrCutoff is returned by ParseCutoff for a malformed time of day.
var ErrCutoff = errors.New("cut-off must be HH:MM between 00:00 and 23:59")

// ParseCutoff reads "17:00" in the named IANA zone ("America/New_York").
func ParseCutoff(hhmm, zone string) (Cutoff, error) {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return Cutoff{}, fmt.Errorf("time zone %q: %w", zone, err)
	}
	t, err := time.Parse("15:04", hhmm)
	if err != nil {
		return Cutoff{}, fmt.Errorf("%q: %w", hhmm, ErrCutoff)
	}
	return Cutoff{Hour: t.Hour(), Minute: t.Minute(), Location: loc}, nil
}

// Today returns the civil date of instant t in the cut-off's time zone.
func (c Cutoff) Today(t time.Time) Date {
	return Of(t.In(c.loc()))
}

// EffectiveDate returns the business date on which a payment made at
// instant t takes effect: the lender-local date of t if that is a business
// day and t is before the cut-off, otherwise the next business day.
func (c Cutoff) EffectiveDate(t time.Time) Date {
	local := t.In(c.loc())
	d := Of(local)
	if !IsBusinessDay(d) {
		return NextBusinessDay(d)
	}
	if local.Hour()*60+local.Minute() >= c.Hour*60+c.Minute {
		return NextBusinessDay(d)
	}
	return d
}

// Deadline returns the instant of the cut-off on date d.
func (c Cutoff) Deadline(d Date) time.Time {
	y, m, dd := d.Date()
	return time.Date(y, m, dd, c.Hour, c.Minute, 0, 0, c.loc())
}

// String returns "HH:MM Zone".
func (c Cutoff) String() string {
	return fmt.Sprintf("%02d:%02d %s", c.Hour, c.Minute, c.loc())
}

func (c Cutoff) loc() *time.Location {
	if c.Location == nil {
		return time.UTC
	}
	return c.Location
}
