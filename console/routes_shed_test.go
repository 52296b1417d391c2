package console

import (
	"net/http/httptest"
	"testing"

	"carfin/webcore"
)

// TestShedClass: staff sign-in and phone payments have their own
// allowance apart from page views, and assets and probes none.
func TestShedClass(t *testing.T) {
	for _, tc := range []struct {
		method, path string
		want         webcore.ShedClass
	}{
		{"GET", "/staff/static/app.css", webcore.ShedNone},
		{"GET", "/staff/theme.css", webcore.ShedNone},
		{"GET", "/readyz", webcore.ShedNone},
		{"POST", "/staff/login", webcore.ShedAuth},
		{"POST", "/staff/login/2fa", webcore.ShedAuth},
		{"POST", "/staff/logout", webcore.ShedAuth},
		{"POST", "/staff/enrol", webcore.ShedAuth},
		{"POST", "/staff/customers/3/contracts/9/pay", webcore.ShedMoney},
		{"POST", "/staff/customers/3/contracts/9/pay/review", webcore.ShedPages},
		{"GET", "/staff/customers/3/contracts/9/pay", webcore.ShedPages},
		{"GET", "/staff/", webcore.ShedPages},
	} {
		if got := shedClass(httptest.NewRequest(tc.method, tc.path, nil)); got != tc.want {
			t.Errorf("%s %s: %s, want %s", tc.method, tc.path, got, tc.want)
		}
	}
}
