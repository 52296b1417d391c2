package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// carfin runs the program in-process and returns stdout, stderr and the
// exit status main would use.
func carfin(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), append([]string{"carfin"}, args...), func(string) string { return "" }, strings.NewReader(""), &out, &errOut)
	code := exitCode(err, &errOut)
	return out.String(), errOut.String(), code
}

func TestCalcWorkedExamples(t *testing.T) {
	payments := func(n int, first string, amount string) []string {
		var args []string
		// monthly from first (all on the 10th)
		y, m := 0, 0
		if _, err := fmt.Sscanf(first, "%d-%d", &y, &m); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			mm := (m-1+i)%12 + 1
			yy := y + (m-1+i)/12
			args = append(args, "--payment", fmt.Sprintf("%04d-%02d-10:%s", yy, mm, amount))
		}
		return args
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"payment", []string{"calc", "payment", "--amount", "20000.00", "--apr", "6.99", "--term", "60", "--json"}, `{"payment":"395.93"}`},
		{"payment 6000", []string{"calc", "payment", "--amount", "6000", "--apr", "6", "--term", "36", "--json"}, `{"payment":"182.53"}`},
		{"payoff", []string{"calc", "payoff", "--amount", "20000.00", "--apr", "6.99", "--start", "2024-01-15",
			"--paid", "2024-02-15:395.93", "--paid", "2024-03-15:395.93", "--paid", "2024-04-15:395.93", "--on", "2024-05-01", "--json"},
			`{"payoff":"19214.56","principal":"19155.86","interest":"58.70","per_diem":"3.67"}`},
		{"apr App J (c)(1)(i)", append([]string{"calc", "apr", "--advance", "5000", "--advance-date", "1978-01-10", "--unit", "month", "--json"},
			payments(24, "1978-02", "230.00")...), `{"apr":"9.69"}`},
		{"lease", []string{"calc", "lease", "--cap-cost", "22700", "--cap-reduction", "2700", "--residual", "8000",
			"--money-factor", "0.004", "--term", "48", "--json"},
			`{"depreciation":"250.00","rent_charge":"112.00","base_payment":"362.00","tax":"0.00","payment":"362.00"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := carfin(t, tc.args...)
			if code != 0 || strings.TrimSpace(out) != tc.want {
				t.Fatalf("exit %d, out %q, err %q; want %s", code, out, errOut, tc.want)
			}
		})
	}
}

func TestCalcSchedule(t *testing.T) {
	out, errOut, code := carfin(t, "calc", "schedule", "--amount", "20000.00", "--apr", "6.99", "--term", "60",
		"--start", "2024-01-15", "--first-due", "2024-02-15", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var s struct {
		Payment         string `json:"payment"`
		FinanceCharge   string `json:"finance_charge"`
		TotalOfPayments string `json:"total_of_payments"`
		APR             string `json:"apr"`
		Installments    []struct {
			Number                                     int
			Due, Payment, Interest, Principal, Balance string
		} `json:"installments"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatal(err)
	}
	if s.Payment != "395.93" || len(s.Installments) != 60 || s.APR == "" {
		t.Fatalf("schedule = %+v", s)
	}
	first := s.Installments[0]
	if first.Due != "2024-02-15" || first.Interest != "118.73" || first.Principal != "277.20" || first.Balance != "19722.80" {
		t.Errorf("first installment = %+v", first)
	}
	if s.Installments[59].Balance != "0.00" {
		t.Errorf("last balance = %s", s.Installments[59].Balance)
	}
	// The human table prints the same figures.
	out, _, code = carfin(t, "calc", "schedule", "--amount", "20000.00", "--apr", "6.99", "--term", "60",
		"--start", "2024-01-15", "--first-due", "2024-02-15")
	if code != 0 || !strings.Contains(out, "$395.93") || !strings.Contains(out, "19722.80") {
		t.Errorf("table output:\n%s", out)
	}
}

// TestCalcBadArguments: each exits 2 with a one-line reason naming the flag,
// and nothing panics.
func TestCalcBadArguments(t *testing.T) {
	tests := []struct {
		args []string
		flag string
	}{
		{[]string{"calc", "payment", "--amount", "1.005", "--apr", "6", "--term", "60"}, "--amount"},
		{[]string{"calc", "payment", "--amount", "1e5", "--apr", "6", "--term", "60"}, "--amount"},
		{[]string{"calc", "payment", "--amount", "-5", "--apr", "6", "--term", "60"}, "--amount"},
		{[]string{"calc", "payment", "--amount", "0", "--apr", "6", "--term", "60"}, "--amount"},
		{[]string{"calc", "payment", "--amount", "100", "--apr", "abc", "--term", "60"}, "--apr"},
		{[]string{"calc", "payment", "--amount", "100", "--apr", "-1", "--term", "60"}, "--apr"},
		{[]string{"calc", "payment", "--amount", "100", "--apr", "6", "--term", "0"}, "--term"},
		{[]string{"calc", "payment", "--amount", "100", "--apr", "6", "--term", "6.5"}, "--term"},
		{[]string{"calc", "payment", "--apr", "6", "--term", "60"}, "--amount"},
		{[]string{"calc", "payment", "--amount", "100", "--apr", "6", "--term", "60", "--bogus", "1"}, "--bogus"},
		{[]string{"calc", "schedule", "--amount", "100", "--apr", "6", "--term", "6", "--start", "2024-02-30", "--first-due", "2024-03-15"}, "--start"},
		{[]string{"calc", "schedule", "--amount", "100", "--apr", "6", "--term", "6", "--start", "2024-02-01", "--first-due", "2024-01-15"}, "--first-due"},
		{[]string{"calc", "schedule", "--amount", "100", "--apr", "6", "--term", "6", "--start", "2024-02-01", "--first-due", "2024-03-01", "--day-count", "360"}, "--day-count"},
		{[]string{"calc", "payoff", "--amount", "100", "--apr", "6", "--start", "2024-02-01", "--paid", "2024-03-01", "--on", "2024-04-01"}, "--paid"},
		{[]string{"calc", "payoff", "--amount", "100", "--apr", "6", "--start", "2024-02-01", "--paid", "2024-03-01:1000", "--on", "2024-04-01"}, "--paid"},
		{[]string{"calc", "payoff", "--amount", "100", "--apr", "6", "--start", "2024-02-01", "--on", "2024-01-01"}, "--on"},
		{[]string{"calc", "apr", "--advance", "100", "--advance-date", "2024-01-01", "--unit", "fortnight", "--payment", "2024-02-01:50"}, "--unit"},
		{[]string{"calc", "apr", "--advance", "100", "--advance-date", "2024-01-01"}, "--payment"},
		{[]string{"calc", "lease", "--cap-cost", "100", "--residual", "200", "--money-factor", "0.001", "--term", "36"}, "residual"},
		{[]string{"calc", "lease", "--cap-cost", "100", "--residual", "20", "--money-factor", "0.5", "--term", "36"}, "--money-factor"},
		{[]string{"calc", "nothing"}, "nothing"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, errOut, code := carfin(t, tc.args...)
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			if code != 2 || len(lines) != 1 || !strings.Contains(errOut, tc.flag) {
				t.Fatalf("exit %d, stderr %q; want exit 2 naming %s", code, errOut, tc.flag)
			}
		})
	}
}

// FuzzCalcPaid: the --paid parser and the payoff it feeds never panic.
func FuzzCalcPaid(f *testing.F) {
	f.Add("2024-02-15:395.93")
	f.Add("2024-02-15:99999999999999.99")
	f.Add("1900-01-01:0.01,2199-12-31:1")
	f.Fuzz(func(t *testing.T, paid string) {
		var out, errOut bytes.Buffer
		_ = run(context.Background(), []string{"carfin", "calc", "payoff", "--amount", "20000", "--apr", "6.99",
			"--start", "2024-01-15", "--paid", paid, "--on", "2199-12-31", "--json"}, func(string) string { return "" }, nil, &out, &errOut)
	})
}
