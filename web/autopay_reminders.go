package web

import (
	"errors"
	"net/http"
	"strconv"

	"carfin/preferences"
	"carfin/profile"
	"carfin/webcore"
)

// handleAutopayReminders saves how many days before each debit (and each
// due date: it is the same reminder) the customer is reminded, or turns
// reminders off, and goes back to the page it came from.
func handleAutopayReminders(pr *profile.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		next := webcore.SafeNext(r.PostForm.Get("next"))
		days, err := strconv.Atoi(r.PostForm.Get("reminder"))
		if err == nil {
			err = pr.SetReminderDays(r.Context(), customerOf(r), days, v.actorOf(r))
		}
		switch {
		case err == nil:
		case errors.Is(err, preferences.ErrInvalid), errors.Is(err, strconv.ErrSyntax), errors.Is(err, strconv.ErrRange):
			v.message(w, r, http.StatusUnprocessableEntity, "pay.autopay_title", "pay.err_reminder", next, "pay.back")
			return
		default:
			serverError(w, r, v, err)
			return
		}
		sep := "?"
		for _, c := range next {
			if c == '?' {
				sep = "&"
			}
		}
		redirect(w, r, next+sep+"notice=reminders")
	})
}
