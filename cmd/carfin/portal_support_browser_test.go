package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"carfin/db/dbtest"
	"carfin/internal/browsertest"
	"carfin/profile"
	"carfin/support"
)

// TestBrowserProfileSupport drives Chromium through the profile and
// support pages: change an alert preference, send a message with an
// attachment (and read the staff reply), give and withdraw paperless
// consent. axe-core checks every page (WCAG 2.2 A/AA) at 1280 and 375 px
// in English and Spanish, nothing is loaded from another origin, and
// screenshots are kept as test artifacts. SQLite only: the HTTP tests
// cover both engines.
func TestBrowserProfileSupport(t *testing.T) {
	d := dbtest.SQLite(t)
	s := startServe(t, d)
	c := seedLogin(t, s, "Iris")
	b := browsertest.Start(t, s.base)

	check := func(name string) {
		t.Helper()
		for _, w := range []int64{1280, 375} {
			b.Viewport(w, 900)
			for _, v := range b.Axe() {
				t.Errorf("%s at %d px: %s", name, w, v)
			}
			// Nothing wider than the phone's screen (no sideways scrolling).
			if w == 375 {
				if over := browsertest.Eval[int](b, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); over > 0 {
					t.Errorf("%s at 375 px: %d px wider than the screen", name, over)
				}
			}
			b.Screenshot(name + "-" + map[int64]string{1280: "desktop", 375: "phone"}[w])
		}
		b.Viewport(1280, 900)
		if n := browsertest.Eval[int](b, `performance.getEntriesByType('resource').filter(e => !e.name.startsWith(location.origin)).length`); n != 0 {
			t.Errorf("%s: %d third-party requests", name, n)
		}
	}
	main := func() string { t.Helper(); return b.Text("main") }

	b.Go("/login")
	b.Fill("#email", c.email)
	b.Fill("#password", testPassword)
	b.Click(`form[action="/login"] button.primary`)
	b.WaitPath("/")

	// Change a preference: texts for due reminders, 3 days ahead.
	b.Go("/profile/alerts")
	b.Click("#due_reminder_sms")
	browsertest.Eval[bool](b, `(() => { document.querySelector('#days').value = '3'; return true })()`)
	b.Click(`form[action="/profile/alerts"] button.primary`)
	b.WaitPath("/profile")
	if txt := main(); !strings.Contains(txt, "Your alert choices were saved") || !strings.Contains(txt, "3 days before the due date") {
		t.Fatalf("profile after saving alerts: %s", txt)
	}

	// Send a message with a PDF attached.
	pdf := filepath.Join(t.TempDir(), "statement.pdf")
	if err := os.WriteFile(pdf, samplePDF, 0o600); err != nil {
		t.Fatal(err)
	}
	b.Go("/messages/new")
	check("message-new")
	b.Fill("#subject", "Question about my statement")
	b.Fill("#body", "Hello,\nplease see the attached statement.")
	b.Upload("#attachments", pdf)
	b.Click(`form[action="/messages"] button.primary`)
	b.WaitFor("ol.thread")
	if txt := main(); !strings.Contains(txt, "Question about my statement") || !strings.Contains(txt, "statement.pdf") {
		t.Fatalf("thread after sending: %s", txt)
	}
	threadPath := strings.TrimPrefix(b.Location(), s.base)
	threadPath, _, _ = strings.Cut(threadPath, "?")
	var tid int64
	if n := countRows(t, d, `SELECT count(*) FROM support_threads`); n != 1 {
		t.Fatalf("%d threads", n)
	}
	if err := d.Read.QueryRow(`SELECT id FROM support_threads`).Scan(&tid); err != nil {
		t.Fatal(err)
	}
	sup := support.New(d, support.Config{LenderName: "Northwind", BaseURL: s.base})
	if _, err := sup.StaffReply(context.Background(), staffLogin(t, s), tid, "Thank you, we are looking into it.", nil); err != nil {
		t.Fatal(err)
	}
	b.Go("/messages")
	if txt := main(); !strings.Contains(txt, "New reply") {
		t.Fatalf("messages list: %s", txt)
	}

	// Give paperless consent with the sample PDF's code, then withdraw it.
	b.Go("/profile/paperless")
	check("paperless")
	b.Fill("#code", profile.SampleCode(c.id))
	b.Click("#agree")
	b.Click(`form[action="/profile/paperless"] button.primary`)
	b.WaitPath("/profile")
	if txt := main(); !strings.Contains(txt, "You chose paperless delivery") {
		t.Fatalf("after consenting: %s", txt)
	}
	b.Go("/profile/paperless")
	check("paperless-on")
	b.Click(`form[action="/profile/paperless/withdraw"] button`)
	b.WaitPath("/profile")
	if txt := main(); !strings.Contains(txt, "You went back to paper") {
		t.Fatalf("after withdrawing: %s", txt)
	}

	// A form with errors next to its fields.
	b.Go("/profile/address")
	b.Fill("#zip", "123")
	b.Click(`form[action="/profile/address"] button.primary`)
	b.WaitFor("#zip-error")
	check("address-errors")

	pages := []struct{ name, path string }{
		{"profile", "/profile"}, {"address", "/profile/address"}, {"email", "/profile/email"}, {"phone", "/profile/phone"},
		{"alerts", "/profile/alerts"}, {"faq", "/faq"}, {"faq-search", "/faq?q=payment"}, {"contact", "/contact"},
		{"messages", "/messages"}, {"thread", threadPath},
	}
	for _, p := range pages {
		b.Go(p.path)
		check(p.name)
	}

	// Spanish, chosen with the switcher.
	b.Click(`form[action="/lang"] button`)
	b.WaitFor(`html[lang="es"] h1`)
	for _, p := range append(pages, struct{ name, path string }{"message-new", "/messages/new"}, struct{ name, path string }{"paperless", "/profile/paperless"}) {
		b.Go(p.path)
		if lang := browsertest.Eval[string](b, `document.documentElement.lang`); lang != "es" {
			t.Fatalf("%s in %q", p.path, lang)
		}
		check(p.name + "-es")
	}
	if h := b.Text("h1"); h != "Escribir un mensaje" && h != "Entrega sin papel" {
		t.Errorf("Spanish heading: %q", h)
	}
}
