package web

import (
	"net/http"
	"strconv"

	"carfin/notify"
	"carfin/preferences"
	"carfin/profile"
)

// preferencesData is what the alerts page shows.
type preferencesData struct {
	Prefs preferences.Preferences
	Kinds []preferences.Kind
	Days  []int
	// Phone is the phone on file ("" when none: texts cannot be chosen).
	Phone string
	// Langs are the languages messages can be in.
	Langs []string
}

func renderPreferences(w http.ResponseWriter, r *http.Request, pr *profile.Service, v *views, status int, shown *preferences.Preferences, errs map[string]string) {
	p := v.page(r, "alerts.title")
	p.Session = sessionOf(r)
	saved, err := pr.Preferences(r.Context(), customerOf(r))
	if err != nil {
		serverError(w, r, v, err)
		return
	}
	if shown != nil {
		saved.Alerts, saved.DueReminderDays = shown.Alerts, shown.DueReminderDays
		if shown.Lang != "" {
			saved.Lang = shown.Lang
		}
	}
	days := make([]int, 0, preferences.DueReminderDaysMax)
	for d := preferences.DueReminderDaysMin; d <= preferences.DueReminderDaysMax; d++ {
		days = append(days, d)
	}
	p.Data = preferencesData{Prefs: saved, Kinds: preferences.Kinds, Days: days, Phone: saved.Phone, Langs: notify.Languages}
	p.Form["days"] = strconv.Itoa(saved.DueReminderDays)
	for k, e := range errs {
		p.Errors[k] = e
	}
	v.render(w, status, "profile_alerts", p)
}

// handlePreferencesShow shows the alert choices per type and channel.
func handlePreferencesShow(pr *profile.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		renderPreferences(w, r, pr, v, http.StatusOK, nil, nil)
	})
}

// ReminderDays words the due reminder's lead time.
func (p *page) ReminderDays(n int) string {
	if n == 1 {
		return p.T("alerts.day_before")
	}
	return p.T("alerts.days_before", n)
}
