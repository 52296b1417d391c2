package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"carfin/db/dbtest"
	"carfin/internal/browsertest"
)

// TestBrowserStatements drives Chromium through the statements (issue
// 12) on the demo book: sign in as the demo login, open the documents,
// filter by a year and see that year's statements newest first,
// download one (a PDF), and open a contract's Statements section; in
// English and in Spanish (with the switcher). axe-core checks every page
// (WCAG 2.2 A/AA) at 1280 and 390 px, where the page must not scroll
// sideways; screenshots are kept as test artifacts. SQLite only: the
// HTTP tests cover both engines.
func TestBrowserStatements(t *testing.T) {
	d := dbtest.SQLite(t)
	s, ab := startAccount(t, d)
	all := ensureStatements(t, d, ab.a, ab.sv.Today())
	b := browsertest.Start(t, s.base)
	loan := ab.a.loan()

	check := func(name string) {
		t.Helper()
		for _, w := range []int64{1280, 390} {
			b.Viewport(w, 900)
			for _, v := range b.Axe() {
				t.Errorf("%s at %d px: %s", name, w, v)
			}
			if over := browsertest.Eval[int](b, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); over > 0 {
				t.Errorf("%s at %d px is %d px too wide", name, w, over)
			}
			b.Screenshot(fmt.Sprintf("%s-%d", name, w))
		}
		b.Viewport(1280, 900)
	}
	// listed is the statements the page lists, in order: each download
	// link's accessible name (which names the month) and its address.
	listed := func() (names, hrefs []string) {
		t.Helper()
		got := browsertest.Eval[[]string](b, `[...document.querySelectorAll('li.statement a[download]')].map(a => a.textContent + '|' + a.getAttribute('href'))`)
		for _, g := range got {
			name, href, _ := strings.Cut(g, "|")
			names, hrefs = append(names, name), append(hrefs, href)
		}
		return names, hrefs
	}

	b.Go("/login")
	b.Fill("#email", ab.a.email)
	b.Fill("#password", testPassword)
	b.Click(`form[action="/login"] button.primary`)
	b.WaitPath("/")

	for _, lang := range []string{"en", "es"} {
		if lang == "es" {
			b.Go("/")
			b.Click(`form[action="/lang"] button`)
			b.WaitFor(`html[lang="es"] h1`)
		}
		// The documents, then one year of them: the older year, so that
		// the filter has something to leave out.
		b.Go("/documents")
		check("documents-" + lang)
		year := statementYear(all[len(all)-1])
		browsertest.Eval[bool](b, fmt.Sprintf(`(() => { document.querySelector('#year').value = '%d'; return true })()`, year))
		b.Click(`form[action="/documents"] button`)
		b.WaitPath(fmt.Sprintf("/documents?contract=&year=%d", year))
		var want, wantHrefs []string
		for _, st := range all {
			if statementYear(st) == year {
				want = append(want, map[string]string{"en": "Download (PDF), ", "es": "Descargar (PDF), "}[lang]+statementLabel(lang, st))
				wantHrefs = append(wantHrefs, "/documents/"+itoa(st.ID))
			}
		}
		names, hrefs := listed()
		if !slices.Equal(names, want) || !slices.Equal(hrefs, wantHrefs) {
			t.Errorf("%s, %d: %q %v\nwant %q %v", lang, year, names, hrefs, want, wantHrefs)
		}
		if h := b.Text("main h2"); h != fmt.Sprint(year) {
			t.Errorf("%s, %d: the list is headed %q", lang, year, h)
		}
		check(fmt.Sprintf("documents-%d-%s", year, lang))

		// A download, as a person clicks it: a PDF, named for its statement.
		name, pdf := b.Download(`li.statement a[href="` + wantHrefs[0] + `"]`)
		if !strings.HasPrefix(name, "statement-") || !strings.HasSuffix(name, ".pdf") || !strings.HasPrefix(string(pdf), "%PDF-") {
			t.Errorf("%s: download %s: %.20q", lang, name, pdf)
		}
		// And fetched by the page: served as a PDF attachment.
		if got := browsertest.Eval[string](b, `fetch('`+wantHrefs[0]+`').then(r => r.headers.get('Content-Type') + '|' + r.headers.get('Content-Disposition'))`); !strings.HasPrefix(got, "application/pdf|attachment;") {
			t.Errorf("%s: fetched %s", lang, got)
		}

		// The contract's Statements section: the latest, newest first.
		b.Go("/contracts/" + itoa(loan.ID))
		b.WaitFor("#statements-h")
		names, _ = listed()
		var latest []string
		for _, st := range all {
			if st.ContractID == loan.ID && len(latest) < 12 {
				latest = append(latest, map[string]string{"en": "Download (PDF), ", "es": "Descargar (PDF), "}[lang]+statementLabel(lang, st))
			}
		}
		if !slices.Equal(names, latest) {
			t.Errorf("%s: contract statements %q, want %q", lang, names, latest)
		}
		if n := browsertest.Eval[int](b, `document.querySelectorAll('#statements a[href="/documents?contract=`+itoa(loan.ID)+`"]').length`); n != 1 {
			t.Errorf("%s: %d links to all statements", lang, n)
		}
		browsertest.Eval[bool](b, `(() => { document.querySelector('#statements').scrollIntoView(); return true })()`)
		check("contract-" + lang)
	}
}
