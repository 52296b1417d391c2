package locale

import (
	"testing"
	"time"

	"carfin/calendar"
	"carfin/money"
)

var newYork, _ = time.LoadLocation("America/New_York")

func TestFormats(t *testing.T) {
	d := calendar.MustParse("2026-11-05")
	for _, tc := range []struct{ name, got, want string }{
		{"money en", Money("en", money.MustParse("1234567.5")), "$1,234,567.50"},
		{"money es", Money("es", money.MustParse("1234.56")), "$1,234.56"},
		{"money negative", Money("en", money.MustParse("-7")), "-$7.00"},
		{"money unknown language", Money("fr", 12), "$0.12"},
		{"plain", Plain("en", money.MustParse("1000")), "1,000.00"},
		{"date en", Date("en", d), "Nov 5, 2026"},
		{"date es", Date("es", d), "5 nov 2026"},
		{"date zero", Date("en", 0), ""},
		{"long en", LongDate("en", d), "November 5, 2026"},
		{"long es", LongDate("es", d), "5 de noviembre de 2026"},
		{"full en", FullDate("en", d), "Thursday, November 5, 2026"},
		{"full es", FullDate("es", calendar.MustParse("2026-11-04")), "miércoles 4 de noviembre de 2026"},
		{"full zero", FullDate("en", 0), ""},
		{"day month en", DayMonth("en", d), "Nov 5"},
		{"day month es", DayMonth("es", d), "5 nov"},
		{"day month zero", DayMonth("es", 0), ""},
		{"month en", MonthYear("en", d), "Nov 2026"},
		{"month es", MonthYear("es", calendar.MustParse("2027-09-01")), "sept 2027"},
		{"percent en", Percent("en", money.MustParseRate("6.49")), "6.49%"},
		{"percent es", Percent("es", money.MustParseRate("0")), "0.00\u00a0%"},
		{"number", Number("en", 36000), "36,000"},
		{"number small", Number("es", 999), "999"},
		{"number negative", Number("en", -1234567), "-1,234,567"},
		// 22:00 UTC is still the 24th in New York, and 17:00 there.
		{"moment en", Moment("en", time.Date(2026, 11, 24, 22, 0, 0, 0, time.UTC).In(newYork)), "November 24, 2026 at 5:00 PM EST"},
		{"moment es", Moment("es", time.Date(2026, 11, 25, 3, 5, 0, 0, time.UTC).In(newYork)), "24 de noviembre de 2026, 22:05 EST"},
		{"moment summer", Moment("en", time.Date(2026, 7, 4, 13, 30, 0, 0, time.UTC).In(newYork)), "July 4, 2026 at 9:30 AM EDT"},
		{"moment zero", Moment("en", time.Time{}), ""},
		{"clock es", Clock("es", time.Date(2026, 11, 24, 9, 7, 0, 0, time.UTC)), "09:07 UTC"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}
