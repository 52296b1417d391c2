package main

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/documents"
	"carfin/locale"
	"carfin/servicing"
)

// Monthly statements in the portal (issue 12), through real HTTP on the
// demo book, on both engines: the document center by year and contract,
// newest first; each statement's download; the contract page's latest
// statements; the dashboard's alert for the newest; another customer's
// statement or contract not found.

// statementsZone is the lender's time zone in these tests, as startAccount's.
var statementsZone, _ = time.LoadLocation("America/New_York")

// ensureStatements returns a customer's statements, newest first. While
// the demo book has none (before the statement run makes them), it saves
// one a month for each of the customer's contracts, dated 21 days before
// each due date up to today, as the run would, with a small PDF each.
func ensureStatements(t *testing.T, d *db.DB, c portalCustomer, today calendar.Date) []documents.Document {
	t.Helper()
	ctx := context.Background()
	find := func() []documents.Document {
		got, err := documents.Find(ctx, d.Read, c.id, documents.Filter{Kind: documents.KindStatement})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := find(); len(got) > 0 {
		return got
	}
	err := d.InTx(ctx, func(tx *db.Tx) error {
		for _, s := range c.contracts {
			for due := s.FirstDue; due.AddDays(-21) <= today && due <= s.MaturityDate; due = due.AddMonths(1) {
				date := due.AddDays(-21)
				y, m, dd := date.Date()
				pdf := fmt.Sprintf("%%PDF-1.4\n%% statement of %s for %s\n%%%%EOF\n", s.AccountNumber, due)
				id, err := documents.Save(ctx, tx, documents.Document{CustomerID: c.id, ContractID: s.ID, Kind: documents.KindStatement,
					Title: "Statement, " + locale.MonthYear("en", date), FileName: "statement-" + s.AccountNumber + "-" + date.String() + ".pdf",
					ContentType: "application/pdf", Content: []byte(pdf), Ref: fmt.Sprintf("statement:%d:%s", s.ID, due)})
				if err != nil {
					return err
				}
				at := time.Date(y, m, dd, 18, 30, 0, 0, statementsZone)
				if _, err := tx.ExecContext(ctx, `UPDATE documents SET created_at = $1 WHERE id = $2`, at.UTC(), id); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got := find()
	if len(got) == 0 {
		t.Fatalf("no statements for customer %d", c.id)
	}
	return got
}

// statementIDs are the ids of the statements a page lists, in its order.
var statementLink = regexp.MustCompile(`<a href="/documents/(\d+)" download>(?:<svg[^>]*>.*?</svg>)?(?:Download|Descargar) \(PDF\)<span class="sr">, ([^<]+)</span></a>`)

func listedStatements(body string) (ids, labels []string) {
	for _, m := range statementLink.FindAllStringSubmatch(body, -1) {
		ids, labels = append(ids, m[1]), append(labels, m[2])
	}
	return ids, labels
}

func statementYear(d documents.Document) int { return d.CreatedAt.In(statementsZone).Year() }

func statementLabel(lang string, d documents.Document) string {
	word := map[string]string{"en": "Statement", "es": "Estado de cuenta"}[lang]
	return word + " — " + locale.MonthYear(lang, calendar.Of(d.CreatedAt.In(statementsZone)))
}

func TestPortalStatements(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, ab := startAccount(t, d)
		today := ab.sv.Today()
		loan, lease := ab.a.loan(), ab.a.lease()
		all := ensureStatements(t, d, ab.a, today)
		bStatements := ensureStatements(t, d, ab.b, today)
		a := s.browser("198.51.100.60")
		a.mustSignIn(ab.a.email, testPassword)

		var years []int
		for _, st := range all {
			if y := statementYear(st); !slices.Contains(years, y) {
				years = append(years, y)
			}
		}
		if len(years) < 2 {
			t.Fatalf("statements in %v only: the demo login's contracts are older than a year", years)
		}

		// Every year's statements, and only that year's, newest first;
		// every statement is on its year's page.
		seen := 0
		for _, y := range years {
			r := a.get(fmt.Sprintf("/documents?year=%d", y))
			r.must(t, 200, fmt.Sprintf(`<option value="%d" selected>%d</option>`, y, y), fmt.Sprintf(`<h2 id="year-%d-h">%d</h2>`, y, y))
			var want, labels []string
			for _, st := range all {
				if statementYear(st) == y {
					want, labels = append(want, itoa(st.ID)), append(labels, statementLabel("en", st))
				}
			}
			ids, got := listedStatements(r.body)
			if !slices.Equal(ids, want) || !slices.Equal(got, labels) {
				t.Errorf("%d: statements %v %q, want %v %q", y, ids, got, want, labels)
			}
			for _, other := range years {
				if other != y && strings.Contains(r.body, fmt.Sprintf(`<h2 id="year-%d-h">`, other)) {
					t.Errorf("%d's page shows %d", y, other)
				}
			}
			seen += len(ids)
		}
		if seen != len(all) {
			t.Errorf("the years list %d statements of %d", seen, len(all))
		}

		// Without a year: all of them, newest first, under their years.
		r := a.get("/documents")
		r.must(t, 200, "All years")
		if ids, _ := listedStatements(r.body); len(ids) != len(all) || ids[0] != itoa(all[0].ID) || ids[len(ids)-1] != itoa(all[len(all)-1].ID) {
			t.Errorf("all years: %d statements, want %d, newest %s", len(ids), len(all), itoa(all[0].ID))
		}
		// Each row says which contract: the vehicle and account.
		row := r.body[strings.Index(r.body, `<li class="statement">`):]
		row = row[:strings.Index(row, "</li>")]
		var mine servicing.Summary
		for _, c := range ab.a.contracts {
			if c.ID == all[0].ContractID {
				mine = c
			}
		}
		for _, want := range []string{fmt.Sprintf("%d %s %s", mine.VehicleYear, mine.Make, mine.Model), mine.AccountNumber, statementLabel("en", all[0]),
			"dated " + locale.Date("en", calendar.Of(all[0].CreatedAt.In(statementsZone))), " KB"} {
			if !strings.Contains(row, want) {
				t.Errorf("the newest statement's row lacks %q: %s", want, row)
			}
		}

		// A year that is not one: an error by the filter, and every year.
		bad := a.get("/documents?year=20x6")
		bad.must(t, 422, `id="year-error"`, "Choose a year from the list.", `aria-invalid="true"`)
		if ids, _ := listedStatements(bad.body); len(ids) != len(all) {
			t.Errorf("with a bad year: %d statements, want all %d", len(ids), len(all))
		}
		a.get("/documents?year=99999").must(t, 422, "Choose a year from the list.")
		// A year with nothing.
		empty := a.get("/documents?year=1999")
		empty.must(t, 200, "You have no documents from 1999 here.", `<option value="1999" selected>`)
		if ids, _ := listedStatements(empty.body); len(ids) != 0 {
			t.Errorf("1999 lists %v", ids)
		}

		// One contract, one year: only that contract's.
		for _, c := range []servicing.Summary{loan, lease} {
			y := years[len(years)-1]
			r := a.get(fmt.Sprintf("/documents?contract=%d&year=%d", c.ID, y))
			r.must(t, 200, fmt.Sprintf(`<option value="%d" selected>`, c.ID))
			var want []string
			for _, st := range all {
				if st.ContractID == c.ID && statementYear(st) == y {
					want = append(want, itoa(st.ID))
				}
			}
			if ids, _ := listedStatements(r.body); !slices.Equal(ids, want) {
				t.Errorf("contract %d in %d: %v, want %v", c.ID, y, ids, want)
			}
		}

		// A download: the PDF as stored, as an attachment.
		for _, st := range []documents.Document{all[0], all[len(all)-1]} {
			got := a.get("/documents/" + itoa(st.ID))
			got.must(t, 200)
			stored, err := documents.Get(ctx, d.Read, ab.a.id, st.ID)
			if err != nil {
				t.Fatal(err)
			}
			if ct, cd := got.header.Get("Content-Type"), got.header.Get("Content-Disposition"); ct != "application/pdf" ||
				cd != `attachment; filename="`+stored.FileName+`"` || got.body != string(stored.Content) || !strings.HasPrefix(got.body, "%PDF-") {
				t.Errorf("statement %d: %s, %s, %.40q", st.ID, ct, cd, got.body)
			}
		}

		// The contract page: the latest 12, newest first, and a link to all.
		for _, c := range []servicing.Summary{loan, lease} {
			r := a.get("/contracts/" + itoa(c.ID))
			r.must(t, 200, `<h2 id="statements-h">Statements</h2>`, `<a href="/documents?contract=`+itoa(c.ID)+`">All statements</a>`)
			var want []string
			for _, st := range all {
				if st.ContractID == c.ID && len(want) < 12 {
					want = append(want, itoa(st.ID))
				}
			}
			if ids, _ := listedStatements(r.body); !slices.Equal(ids, want) {
				t.Errorf("contract %d's page: %v, want %v", c.ID, ids, want)
			}
		}

		// Spanish: the months and words.
		a.lang = "es"
		es := a.get(fmt.Sprintf("/documents?year=%d", years[0]))
		es.must(t, 200, "Estado de cuenta — ", "Todos los años", "Descargar (PDF)")
		if _, labels := listedStatements(es.body); len(labels) == 0 || labels[0] != statementLabel("es", all[0]) {
			t.Errorf("Spanish labels %q, want %q first", labels, statementLabel("es", all[0]))
		}
		a.get("/contracts/"+itoa(loan.ID)).must(t, 200, `<h2 id="statements-h">Estados de cuenta</h2>`, "Todos los estados de cuenta")
		a.get("/documents?year=abc").must(t, 422, "Elija un año de la lista.")
		a.lang = ""

		// Another customer's statement, or contract, is not found; A's
		// lists show none of B's.
		bLoan := ab.b.loan()
		for _, path := range []string{"/documents/" + itoa(bStatements[0].ID), fmt.Sprintf("/documents?contract=%d&year=%d", bLoan.ID, years[0]),
			"/documents?contract=" + itoa(bLoan.ID)} {
			got := a.get(path)
			got.must(t, 404)
			if strings.Contains(got.body, "%PDF") || strings.Contains(got.body, bLoan.AccountNumber) {
				t.Errorf("%s shows B's", path)
			}
		}
		for _, y := range years {
			if ids, _ := listedStatements(a.get(fmt.Sprintf("/documents?year=%d", y)).body); slices.ContainsFunc(bStatements, func(st documents.Document) bool {
				return slices.Contains(ids, itoa(st.ID))
			}) {
				t.Errorf("A's %d lists B's statement", y)
			}
		}

		// The dashboard's alert names the newest statement by its date,
		// whatever its id: a statement for an earlier cycle saved later
		// (a rerun) does not hide it.
		now := d.Now()
		var newer, rerun int64
		if err := d.InTx(ctx, func(tx *db.Tx) error {
			for _, x := range []struct {
				id  *int64
				ref string
				at  time.Time
			}{{&newer, "newer", now.Add(-time.Hour)}, {&rerun, "rerun", now.Add(-3 * 24 * time.Hour)}} {
				var err error
				*x.id, err = documents.Save(ctx, tx, documents.Document{CustomerID: ab.a.id, ContractID: lease.ID, Kind: documents.KindStatement,
					Title: "Statement", FileName: "s.pdf", ContentType: "application/pdf", Content: []byte("%PDF-1.4 " + x.ref), Ref: "statement:test:" + x.ref})
				if err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `UPDATE documents SET created_at = $1 WHERE id = $2`, x.at.UTC(), *x.id); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		month := locale.MonthYear("en", calendar.Of(now.Add(-time.Hour).In(statementsZone)))
		home := a.get("/")
		home.must(t, 200, "Your statement for "+month+` is ready. <a href="/documents/`+itoa(newer)+`">Download the statement</a>`)
		if strings.Contains(home.body, `href="/documents/`+itoa(rerun)+`"`) {
			t.Errorf("the dashboard links the rerun statement %d, not the newest %d", rerun, newer)
		}
		a.lang = "es"
		a.get("/").must(t, 200, "Su estado de cuenta de "+locale.MonthYear("es", calendar.Of(now.Add(-time.Hour).In(statementsZone)))+" está listo.")
	})
}
