package web

import (
	"testing"

	"carfin/webcore"
)

// TestReauthPurposeOf: the password check names the action from a known
// purpose, else from the path it returns to; anything else is neutral.
func TestReauthPurposeOf(t *testing.T) {
	for _, tc := range []struct {
		name, purpose, next, want string
	}{
		{"bank account", "", "/payment-methods/bank/new", "bank"},
		{"card, with the processor's query", "", "/payment-methods/card/new?token=abc", "card"},
		{"removing a method", "", "/payment-methods/42/remove", "method_remove"},
		{"authenticator app", "", "/security/totp", "totp"},
		{"security page", "", "/security", "signin"},
		{"email", "", "/profile/email", "email"},
		{"phone", "", "/profile/phone", "phone"},
		{"a known purpose wins", "signout_all", "/security", "signout_all"},
		{"an unknown purpose is ignored", "<script>", "/profile/phone", "phone"},
		{"a look-alike path", "", "/securityx", ""},
		{"anywhere else", "", "/contracts/7", ""},
		{"nothing", "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := reauthPurposeOf(tc.purpose, tc.next); got != tc.want {
				t.Errorf("reauthPurposeOf(%q, %q) = %q, want %q", tc.purpose, tc.next, got, tc.want)
			}
			if k := reauthIntro(tc.want); (tc.want == "") != (k == "reauth.intro") {
				t.Errorf("intro %q for %q", k, tc.want)
			}
		})
	}
}

// TestEndedNotice: each reason the portal sends has its own words; any
// other value gets the neutral ones.
func TestEndedNotice(t *testing.T) {
	cat, err := loadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, ended := range []string{"idle", "absolute", "password", "revoked", "wasnt-me", "signed-out", "other", "", "<b>"} {
		k := endedNotice(ended)
		for _, lang := range webcore.Languages {
			if cat[lang][k] == "" {
				t.Errorf("%s: no %q for ended=%q", lang, k, ended)
			}
		}
		seen[k] = true
	}
	if len(seen) != 7 {
		t.Errorf("%d different notices, want 7 (six reasons and the neutral one)", len(seen))
	}
}
