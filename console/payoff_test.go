package console_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"carfin/quotes"
	"carfin/staff"
)

func init() { register("payoff/quote and dealer letter", testPayoff) }

var (
	letterLocation = regexp.MustCompile(`/payoff\?letter=(DQ-[0-9]+)$`)
	quoteLocation  = regexp.MustCompile(`/payoff\?quote=(PQ-[0-9]+)$`)
)

// download gets path with its headers.
func (b *browser) download(path string) (*http.Response, []byte) {
	b.f.t.Helper()
	resp, err := b.c.Get(b.f.srv.URL + path)
	if err != nil {
		b.f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

// testPayoff: an agent makes the customer a payoff quote and a dealer a
// payoff letter (only with the customer's permission and a valid
// address: else nothing is written), and both download as PDFs.
func testPayoff(t *testing.T, f *fixture) {
	cust := f.book.LoginCustomerID
	loan := f.loanOf(cust)
	base := "/staff/customers/" + strconv.FormatInt(cust, 10) + "/contracts/" + strconv.FormatInt(loan, 10) + "/payoff"
	agent := f.signIn(staff.Agent)
	f.openFor(staff.Agent, cust)
	if r := agent.get(base); r.Status != http.StatusOK || !strings.Contains(r.Body, "Letter for a dealer") {
		t.Fatalf("payoff page: %d %s", r.Status, r.Body)
	}
	dates := quotes.GoodThroughDates(f.caps.Quotes.Today())
	through := dates[min(len(dates)-1, 5)].String()
	dealer := url.Values{"to": {"dealer"}, "good_through": {through}, "dealer_name": {"Northwind Motors"}, "dealer_line1": {"500 Main St"},
		"dealer_city": {"Columbus"}, "dealer_state": {"OH"}, "dealer_zip": {"43215"}, "consent": {"yes"}}
	letters := func() int { return f.count(`SELECT count(*) FROM dealer_payoff_quotes WHERE contract_id = $1`, loan) }
	before := letters()
	for _, tc := range []struct {
		name, field, value, want string
	}{
		{"no consent", "consent", "", "customer allowed it"},
		{"no name", "dealer_name", "", "Enter the dealer&#39;s name"},
		{"bad state", "dealer_state", "ZZ", "dealer state"},
		{"bad ZIP", "dealer_zip", "4321", "dealer ZIP"},
		{"bad date", "good_through", "2000-01-01", "business day"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			form := url.Values{}
			for k, v := range dealer {
				form[k] = v
			}
			form.Set(tc.field, tc.value)
			if r := agent.post(base, form); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, tc.want) {
				t.Fatalf("%d, want 422 with %q: %s", r.Status, tc.want, r.Body)
			}
			if n := letters(); n != before {
				t.Fatalf("%d letters, was %d", n, before)
			}
		})
	}
	r := agent.post(base, dealer)
	m := letterLocation.FindStringSubmatch(r.Location)
	if r.Status != http.StatusSeeOther || m == nil {
		t.Fatalf("dealer letter: %d %s %s", r.Status, r.Location, r.Body)
	}
	if n := letters(); n != before+1 {
		t.Fatalf("%d letters, want %d", n, before+1)
	}
	if r := agent.get(r.Location); r.Status != http.StatusOK || !strings.Contains(r.Body, m[1]+".pdf") {
		t.Fatalf("letter made: %d %s", r.Status, r.Body)
	}

	r = agent.post(base, url.Values{"to": {"customer"}, "good_through": {through}, "lang": {"en"}})
	q := quoteLocation.FindStringSubmatch(r.Location)
	if r.Status != http.StatusSeeOther || q == nil {
		t.Fatalf("customer quote: %d %s %s", r.Status, r.Location, r.Body)
	}
	for _, number := range []string{m[1], q[1]} {
		resp, body := agent.download(base + "/" + number + ".pdf")
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), "%PDF") ||
			resp.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("%s: %d %v %.40q", number, resp.StatusCode, resp.Header, body)
		}
	}
	for _, p := range []string{base + "/DQ-99999999.pdf", base + "/PQ-99999999.pdf", base + "/" + m[1]} {
		if r := agent.get(p); r.Status != http.StatusNotFound {
			t.Fatalf("%s: %d", p, r.Status)
		}
	}
	// Another customer's contract under this customer: not found.
	other := f.loanOf(f.book.PastDueCustomerID)
	wrong := "/staff/customers/" + strconv.FormatInt(cust, 10) + "/contracts/" + strconv.FormatInt(other, 10) + "/payoff/" + m[1] + ".pdf"
	if r := agent.get(wrong); r.Status != http.StatusNotFound {
		t.Fatalf("another customer's contract: %d", r.Status)
	}
	if r := f.signIn(staff.Auditor).get(base); r.Status != http.StatusForbidden {
		t.Fatalf("auditor: %d", r.Status)
	}
}
