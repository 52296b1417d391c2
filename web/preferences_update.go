package web

import (
	"errors"
	"net/http"
	"strconv"

	"carfin/notify"
	"carfin/preferences"
	"carfin/profile"
)

// handlePreferencesUpdate saves the alert choices and the language of
// messages (lang). Each checkbox is named KIND_email or KIND_sms;
// security alerts have none (always on).
func handlePreferencesUpdate(pr *profile.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := preferences.Change{Alerts: map[preferences.Kind]preferences.Channels{}}
		for _, k := range preferences.Kinds {
			c.Alerts[k] = preferences.Channels{Email: r.PostFormValue(string(k)+"_email") == "on", SMS: r.PostFormValue(string(k)+"_sms") == "on"}
		}
		days, err := strconv.Atoi(r.PostFormValue("days"))
		if err != nil {
			days = 0
		}
		c.DueReminderDays = days
		if lang := r.PostFormValue("lang"); notify.Lang(lang) == lang {
			c.Lang = lang // otherwise the saved language stays
		}
		shown := &preferences.Preferences{Alerts: c.Alerts, DueReminderDays: days, Lang: c.Lang}
		err = pr.SetPreferences(r.Context(), customerOf(r), c, v.actorOf(r))
		switch {
		case errors.Is(err, preferences.ErrInvalid):
			shown.DueReminderDays = preferences.DueReminderDaysDefault
			renderPreferences(w, r, pr, v, http.StatusUnprocessableEntity, shown, map[string]string{"days": "alerts.err_days"})
		case errors.Is(err, preferences.ErrNoPhone):
			renderPreferences(w, r, pr, v, http.StatusUnprocessableEntity, shown, map[string]string{"due_reminder_sms": "alerts.err_no_phone"})
		case err != nil:
			serverError(w, r, v, err)
		default:
			redirect(w, r, "/profile?notice=alerts")
		}
	})
}
