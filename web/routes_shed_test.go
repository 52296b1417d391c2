package web

import (
	"net/http/httptest"
	"testing"

	"carfin/webcore"
)

// TestShedClass: sign-in and payment submissions have their own
// allowance apart from page views, and assets and probes none.
func TestShedClass(t *testing.T) {
	for _, tc := range []struct {
		method, path string
		want         webcore.ShedClass
	}{
		{"GET", "/static/app.css", webcore.ShedNone},
		{"GET", "/healthz", webcore.ShedNone},
		{"GET", "/readyz", webcore.ShedNone},
		{"GET", "/favicon.ico", webcore.ShedNone},
		{"GET", "/theme.css", webcore.ShedNone},
		{"GET", "/login", webcore.ShedAuth},
		{"POST", "/login", webcore.ShedAuth},
		{"POST", "/login/2fa", webcore.ShedAuth},
		{"POST", "/login/passkey/finish", webcore.ShedAuth},
		{"POST", "/logout", webcore.ShedAuth},
		{"POST", "/reauth", webcore.ShedAuth},
		{"POST", "/enrol/verify", webcore.ShedAuth},
		{"POST", "/contracts/12/pay", webcore.ShedMoney},
		{"POST", "/payments/P-1/edit", webcore.ShedMoney},
		{"POST", "/payments/P-1/cancel", webcore.ShedMoney},
		{"POST", "/contracts/12/autopay", webcore.ShedMoney},
		{"POST", "/contracts/12/autopay/change", webcore.ShedMoney},
		{"POST", "/contracts/12/autopay/stop", webcore.ShedMoney},
		{"GET", "/contracts/12/pay", webcore.ShedPages},
		{"GET", "/", webcore.ShedPages},
		{"GET", "/payments", webcore.ShedPages},
		{"GET", "/loginx", webcore.ShedPages},
		{"POST", "/contracts/12/pay/extra", webcore.ShedPages},
		{"GET", "/forgot", webcore.ShedPages},
	} {
		if got := shedClass(httptest.NewRequest(tc.method, tc.path, nil)); got != tc.want {
			t.Errorf("%s %s: %s, want %s", tc.method, tc.path, got, tc.want)
		}
	}
}
