package console_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"carfin/console"
	"carfin/webcore"
)

func init() { register("allow-list", testAllowList) }

// testAllowList: with --staff-allow, a client outside the networks gets
// 403 before any page, signed in or not; one inside gets the console.
func testAllowList(t *testing.T, f *fixture) {
	for _, tc := range []struct {
		name  string
		allow []netip.Prefix
		want  int
	}{
		{"no list", nil, http.StatusOK},
		{"inside", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, http.StatusOK},
		{"outside", []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16"), netip.MustParsePrefix("192.0.2.0/24")}, http.StatusForbidden},
	} {
		c, err := console.New(console.Config{Brand: webcore.DefaultBrand, Allow: tc.allow}, f.d, f.caps)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(c)
		for _, path := range []string{"/staff/login", "/staff/", "/staff/static/app.css"} {
			resp, err := http.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			// (Signed out, /staff/ redirects to the sign-in page, which the
			// client follows.)
			if resp.StatusCode != tc.want {
				t.Errorf("%s: %s answered %d, want %d", tc.name, path, resp.StatusCode, tc.want)
			}
		}
		srv.Close()
	}
}
