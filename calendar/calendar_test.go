package calendar

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	good := map[string]Date{
		"2024-01-15": New(2024, 1, 15),
		"2024-02-29": New(2024, 2, 29),
		"1900-01-01": New(1900, 1, 1),
		"2199-12-31": New(2199, 12, 31),
	}
	for s, want := range good {
		got, err := Parse(s)
		if err != nil || got != want || got.String() != s {
			t.Errorf("Parse(%q) = %v, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "2023-02-29", "2024-13-01", "2024-00-10", "2024-1-5", "2024/01/15",
		"2024-01-15T00:00:00Z", "20240115", "1899-12-31", "2200-01-01", "2024-01-32", "+024-01-15", "２０２４-01-15"} {
		if _, err := Parse(s); !errors.Is(err, ErrDate) {
			t.Errorf("Parse(%q) err = %v, want ErrDate", s, err)
		}
	}
}

func TestWeekdayAndArithmetic(t *testing.T) {
	if wd := MustParse("2026-11-25").Weekday(); wd != time.Wednesday {
		t.Errorf("2026-11-25 weekday = %v", wd)
	}
	if wd := MustParse("1978-01-10").Weekday(); wd != time.Tuesday {
		t.Errorf("1978-01-10 weekday = %v", wd)
	}
	if n := MustParse("2024-01-15").DaysUntil(MustParse("2024-02-15")); n != 31 {
		t.Errorf("days = %d", n)
	}
	if d := MustParse("2024-12-31").AddDays(1); d.String() != "2025-01-01" {
		t.Errorf("AddDays = %s", d)
	}
	if !IsLeap(2024) || IsLeap(2100) || !IsLeap(2000) || IsLeap(2023) {
		t.Error("IsLeap")
	}
}

// TestMonthlyOn checks end-of-month clamping: a loan due on the 31st is due
// Feb 28/29, then Mar 31 again (the rule).
func TestMonthlyOn(t *testing.T) {
	tests := []struct {
		y    int
		m    time.Month
		day  int
		want string
	}{
		{2024, time.January, 31, "2024-01-31"},
		{2024, time.February, 31, "2024-02-29"},
		{2023, time.February, 31, "2023-02-28"},
		{2024, time.March, 31, "2024-03-31"},
		{2024, time.April, 31, "2024-04-30"},
		{2024, 13, 15, "2025-01-15"},
		{2024, 0, 15, "2023-12-15"},
		{2024, time.February, 29, "2024-02-29"},
		{2025, time.February, 29, "2025-02-28"},
	}
	for _, tc := range tests {
		if got := MonthlyOn(tc.y, tc.m, tc.day).String(); got != tc.want {
			t.Errorf("MonthlyOn(%d,%d,%d) = %s, want %s", tc.y, tc.m, tc.day, got, tc.want)
		}
	}
	if got := MustParse("2024-01-31").AddMonths(1).String(); got != "2024-02-29" {
		t.Errorf("AddMonths = %s", got)
	}
	if got := MustParse("2024-03-31").AddMonths(-1).String(); got != "2024-02-29" {
		t.Errorf("AddMonths(-1) = %s", got)
	}
}

// TestHolidays checks the Federal Reserve's published holiday schedule
// (federalreserve.gov/aboutthefed/k8.htm) for years that exercise each
// rule: Sunday moved to Monday, Saturday not moved, Juneteenth from 2022.
func TestHolidays(t *testing.T) {
	tests := map[int][]string{
		2021: {"2021-01-01", "2021-01-18", "2021-02-15", "2021-05-31", "2021-07-05", "2021-09-06", "2021-10-11", "2021-11-11", "2021-11-25", "2021-12-25"},
		2022: {"2022-01-01", "2022-01-17", "2022-02-21", "2022-05-30", "2022-06-20", "2022-07-04", "2022-09-05", "2022-10-10", "2022-11-11", "2022-11-24", "2022-12-26"},
		2023: {"2023-01-02", "2023-01-16", "2023-02-20", "2023-05-29", "2023-06-19", "2023-07-04", "2023-09-04", "2023-10-09", "2023-11-11", "2023-11-23", "2023-12-25"},
		2024: {"2024-01-01", "2024-01-15", "2024-02-19", "2024-05-27", "2024-06-19", "2024-07-04", "2024-09-02", "2024-10-14", "2024-11-11", "2024-11-28", "2024-12-25"},
		2026: {"2026-01-01", "2026-01-19", "2026-02-16", "2026-05-25", "2026-06-19", "2026-07-04", "2026-09-07", "2026-10-12", "2026-11-11", "2026-11-26", "2026-12-25"},
		2027: {"2027-01-01", "2027-01-18", "2027-02-15", "2027-05-31", "2027-06-19", "2027-07-05", "2027-09-06", "2027-10-11", "2027-11-11", "2027-11-25", "2027-12-25"},
	}
	for y, want := range tests {
		got := Holidays(y)
		if len(got) != len(want) {
			t.Errorf("%d: %d holidays, want %d", y, len(got), len(want))
			continue
		}
		for i, h := range got {
			if h.Date.String() != want[i] {
				t.Errorf("%d: %s on %s, want %s", y, h.Name, h.Date, want[i])
			}
		}
	}
}

func TestBusinessDays(t *testing.T) {
	tests := []struct {
		name string
		got  Date
		want string
	}{
		{"next after Friday", NextBusinessDay(MustParse("2026-11-20")), "2026-11-23"},
		{"next skips Thanksgiving", NextBusinessDay(MustParse("2026-11-25")), "2026-11-27"},
		{"next skips observed New Year", NextBusinessDay(MustParse("2022-12-30")), "2023-01-03"},
		{"Saturday holiday costs no day", NextBusinessDay(MustParse("2026-07-02")), "2026-07-03"},
		{"on or after a business day", OnOrAfterBusinessDay(MustParse("2026-11-25")), "2026-11-25"},
		{"on or after Sunday", OnOrAfterBusinessDay(MustParse("2026-11-29")), "2026-11-30"},
		{"add 3 over a weekend", AddBusinessDays(MustParse("2026-11-19"), 3), "2026-11-24"},
		{"add 2 over Thanksgiving", AddBusinessDays(MustParse("2026-11-25"), 2), "2026-11-30"},
		{"subtract 3 over Christmas", AddBusinessDays(MustParse("2026-12-29"), -3), "2026-12-23"},
		{"add zero", AddBusinessDays(MustParse("2026-11-28"), 0), "2026-11-28"},
		{"previous before Monday holiday", PreviousBusinessDay(MustParse("2026-01-20")), "2026-01-16"},
	}
	for _, tc := range tests {
		if tc.got.String() != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, tc.got, tc.want)
		}
	}
	if n := BusinessDaysBetween(MustParse("2026-11-20"), MustParse("2026-11-30")); n != 5 {
		t.Errorf("BusinessDaysBetween = %d, want 5", n)
	}
	if IsBusinessDay(MustParse("2026-11-26")) || !IsBusinessDay(MustParse("2026-11-27")) {
		t.Error("Thanksgiving 2026 / day after")
	}
}

// TestAddBusinessDaysInverse: moving forward then back n business days from
// a business day returns to it.
func TestAddBusinessDaysInverse(t *testing.T) {
	for d := MustParse("2024-01-01"); d < MustParse("2026-01-01"); d++ {
		if !IsBusinessDay(d) {
			continue
		}
		for _, n := range []int{1, 3, 10} {
			if back := AddBusinessDays(AddBusinessDays(d, n), -n); back != d {
				t.Fatalf("%s +%d -%d = %s", d, n, n, back)
			}
		}
	}
}

func TestCutoff(t *testing.T) {
	c, err := ParseCutoff("17:00", "America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	ny := c.Location
	tests := []struct {
		name string
		at   time.Time
		want string
	}{
		{"before cut-off", time.Date(2026, 11, 24, 16, 59, 0, 0, ny), "2026-11-24"},
		{"at cut-off", time.Date(2026, 11, 24, 17, 0, 0, 0, ny), "2026-11-25"},
		{"after cut-off before holiday", time.Date(2026, 11, 25, 18, 0, 0, 0, ny), "2026-11-27"},
		{"on holiday", time.Date(2026, 11, 26, 9, 0, 0, 0, ny), "2026-11-27"},
		{"Saturday", time.Date(2026, 11, 28, 9, 0, 0, 0, ny), "2026-11-30"},
		{"UTC instant read in the lender zone", time.Date(2026, 11, 24, 21, 30, 0, 0, time.UTC), "2026-11-24"},
		{"late evening local is after cut-off", time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC), "2026-11-25"},
	}
	for _, tc := range tests {
		if got := c.EffectiveDate(tc.at).String(); got != tc.want {
			t.Errorf("%s: EffectiveDate = %s, want %s", tc.name, got, tc.want)
		}
	}
	for _, bad := range []string{"25:00", "5pm", "", "17:60"} {
		if _, err := ParseCutoff(bad, "America/New_York"); !errors.Is(err, ErrCutoff) {
			t.Errorf("ParseCutoff(%q) err = %v", bad, err)
		}
	}
	if _, err := ParseCutoff("17:00", "Mars/Olympus"); err == nil {
		t.Error("unknown zone accepted")
	}
}

func TestSQLAndJSON(t *testing.T) {
	d := MustParse("2026-11-01")
	v, _ := d.Value()
	if v != "2026-11-01" {
		t.Errorf("Value = %v", v)
	}
	var got Date
	for _, src := range []any{"2026-11-01", []byte("2026-11-01"), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), "2026-11-01T00:00:00Z"} {
		if err := got.Scan(src); err != nil || got != d {
			t.Errorf("Scan(%v) = %v, %v", src, got, err)
		}
	}
	if err := got.Scan(nil); err != nil || !got.IsZero() {
		t.Errorf("Scan(nil) = %v", got)
	}
	b, _ := json.Marshal(d)
	if string(b) != `"2026-11-01"` {
		t.Errorf("json = %s", b)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"2024-02-29", "2023-02-29", "0000-00-00", "9999-99-99", "2024-1-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse(s)
		if err != nil {
			return
		}
		if d.String() != s {
			t.Fatalf("Parse(%q).String() = %q", s, d.String())
		}
	})
}
