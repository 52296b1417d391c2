package web

import (
	"net/http"
	"slices"

	"carfin/webcore"
)

// langCookieMaxAge: the chosen language is remembered for a year.
const langCookieMaxAge = 365 * 24 * 60 * 60

// handleLangSwitch remembers the language chosen with the switcher and
// returns to the page.
func handleLangSwitch(v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lang := r.PostFormValue("lang")
		if slices.Contains(webcore.Languages, lang) {
			http.SetCookie(w, &http.Cookie{Name: webcore.LangCookie, Value: lang, Path: "/", MaxAge: langCookieMaxAge,
				HttpOnly: true, Secure: v.cfg.TLS, SameSite: http.SameSiteLaxMode})
		}
		redirect(w, r, webcore.SafeNext(r.PostFormValue("next")))
	})
}
