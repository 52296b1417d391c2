package web

import (
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"

	"carfin/payments"
	"carfin/webcore"
)

// TestPaymentsCatalogs: every key the payments pages use, literally or
// built from a status, kind, return code or decline, exists in English
// and Spanish, and the argument verbs of both languages agree.
func TestPaymentsCatalogs(t *testing.T) {
	cat, err := loadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	used := regexp.MustCompile(`"(pay\.[a-z0-9_]+)"`)
	keys := map[string]bool{}
	var sources []string
	for _, pattern := range []string{"templates/pay_*.html", "templates/payment*.html", "templates/method*.html", "templates/autopay*.html", "templates/layout.html"} {
		names, _ := fs.Glob(templateFS, pattern)
		for _, n := range names {
			b, _ := fs.ReadFile(templateFS, n)
			sources = append(sources, string(b))
		}
	}
	for _, pattern := range []string{"payment_*.go", "method_*.go", "autopay_*.go", "routes_payments.go"} {
		names, _ := fs.Glob(osDir("."), pattern)
		for _, n := range names {
			b, _ := fs.ReadFile(osDir("."), n)
			sources = append(sources, string(b))
		}
	}
	for _, src := range sources {
		for _, m := range used.FindAllStringSubmatch(src, -1) {
			if !strings.HasSuffix(m[1], "_") {
				keys[m[1]] = true
			}
		}
	}
	if len(keys) < 250 {
		t.Errorf("found only %d keys: the scan is broken", len(keys))
	}
	for _, s := range []payments.Status{payments.StatusScheduled, payments.StatusAuthorized, payments.StatusPending, payments.StatusSettled,
		payments.StatusCancelled, payments.StatusDeclined, payments.StatusFailed, payments.StatusSkipped, payments.StatusReturned} {
		keys["pay.label_"+string(s)] = true
	}
	for _, k := range []payments.PaymentKind{payments.OneTimePayment, payments.AutopayPayment, payments.RetryPayment, payments.PostedPayment} {
		keys["pay.kind_"+string(k)] = true
	}
	for _, code := range []string{"insufficient_funds", "expired_card", "incorrect_cvc", "other"} {
		keys[declineErrorKey(code)] = true
	}
	for _, m := range []map[string]string{returnActions, paymentNotices, methodNotices, autopayNotices} {
		for _, k := range m {
			keys[k] = true
		}
	}
	for _, f := range cardErrorFields {
		keys[f[1]] = true
	}
	verbs := regexp.MustCompile(`%(\[\d\])?[sd]`)
	for k := range keys {
		for _, lang := range webcore.Languages {
			if len(cat.Texts(lang, k)) == 0 {
				t.Errorf("%s lacks %q", lang, k)
			}
		}
		// Every form of both languages takes the same arguments.
		en := cat.Texts("en", k)
		if len(en) == 0 {
			continue
		}
		want := verbs.FindAllString(en[0], -1)
		for _, lang := range webcore.Languages {
			for _, s := range cat.Texts(lang, k) {
				if got := verbs.FindAllString(s, -1); strings.Join(sortedStrings(got), " ") != strings.Join(sortedStrings(want), " ") {
					t.Errorf("%q: %s %q has %v, English %v", k, lang, s, got, want)
				}
			}
		}
	}
}

func sortedStrings(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
