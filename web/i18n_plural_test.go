package web

import (
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"carfin/webcore"
)

// TestCountsHavePlurals: every text of the area catalogs (locales/AREA.LANG.json)
// that shows a count has plural forms, in both languages, with the same
// arguments in every form; and the pages that show counts ask for them.
func TestCountsHavePlurals(t *testing.T) {
	cat, err := loadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := fs.Glob(localeFS, "locales/*.*.json")
	areaKeys := map[string]bool{}
	for _, f := range files {
		b, _ := fs.ReadFile(localeFS, f)
		for _, m := range regexp.MustCompile(`"([a-z0-9_.]+)":`).FindAllStringSubmatch(string(b), -1) {
			areaKeys[m[1]] = true
		}
		if n := strings.Count(path.Base(f), "."); n != 2 {
			t.Errorf("%s is not AREA.LANG.json", f)
		}
	}
	count := regexp.MustCompile(`%(\[\d\])?d`)
	for k := range areaKeys {
		if _, _, ok := webcore.CutPluralForm(k); ok {
			continue
		}
		if slices.Contains(notCounts, k) {
			continue
		}
		if count.MatchString(cat["en"][k]) {
			t.Errorf("%q shows a count without plural forms: %q", k, cat["en"][k])
		}
	}
	for _, k := range []string{"faq.results", "account.days_late", "account.status_late", "account.months", "account.whatif_saved",
		"account.statements_latest", "account.alert_past_due", "pay.autopay_days_before", "pay.reminder_days", "pay.state_micro_sent",
		"pay.verify_tries", "alerts.days_before", "messages.attachments_hint"} {
		for _, lang := range webcore.Languages {
			forms := cat.Texts(lang, k)
			if len(forms) < 2 {
				t.Errorf("%s %q: forms %q", lang, k, forms)
			}
		}
	}
}

// notCounts are the texts of the area catalogs that show a number that is
// not a count of things: a year, a page or an installment's number, a
// size in an abbreviated unit, a range.
var notCounts = []string{"account.interest_in", "account.showing", "account.installment_n", "account.page_of",
	"account.no_documents_year", "account.size_kb", "messages.kib", "pay.history_showing", "pay.history_page_of"}
