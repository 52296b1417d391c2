package console_test

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"carfin/db"
	"carfin/staff"
)

func init() { register("database unavailable", testDatabaseUnavailable) }

// testDatabaseUnavailable: a form posted while the database cannot be
// written (SQLite made read-only, as a full or read-only disk leaves it)
// answers 503 with Retry-After and a "temporarily unavailable" page, not
// 500, and writes nothing. The PostgreSQL outage is
// TestPostgresRestartUnderLoad's (cmd/carfin).
func testDatabaseUnavailable(t *testing.T, f *fixture) {
	if f.d.Engine != db.SQLite {
		t.Skip("query_only is SQLite's")
	}
	cust := f.book.PastDueCustomerID
	loan := f.loanOf(cust)
	base := "/staff/customers/" + strconv.FormatInt(cust, 10) + "/contracts/" + strconv.FormatInt(loan, 10)
	agent := f.signIn(staff.Agent)
	f.openFor(staff.Agent, cust)
	before := len(mustForContract(t, f, loan))

	form := url.Values{"kind": {"fee_waiver"}, "amount": {"1.00"}, "reason": {"console test: read-only " + t.Name()}}
	if _, err := f.d.SQL.Exec(`PRAGMA query_only = 1`); err != nil { // the writer: the pool's one connection
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+base+"/requests", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := agent.c.Do(req)
	if _, err := f.d.SQL.Exec(`PRAGMA query_only = 0`); err != nil {
		t.Fatal(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" ||
		!strings.Contains(string(body), "Temporarily unavailable") {
		t.Fatalf("request on a read-only database: %d, Retry-After %q\n%s", res.StatusCode, res.Header.Get("Retry-After"), body)
	}
	if after := len(mustForContract(t, f, loan)); after != before {
		t.Fatalf("%d requests after the refused one, was %d", after, before)
	}
}
