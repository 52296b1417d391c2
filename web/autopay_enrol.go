package web

import (
	"net/http"
	"time"

	"carfin/payments"
	"carfin/profile"
	"carfin/servicing"
	"carfin/webcore"
)

// handleAutopayEnrol enrols the contract once the customer accepted the
// authorization shown (the box ticked, on the version shown): payments
// stores the text, its version, the time and the IP, and emails a copy.
// An unticked box, or a text that changed meanwhile, shows the
// authorization again with the message.
func handleAutopayEnrol(sv *servicing.Service, pay *payments.Service, pr *profile.Service, v *views, now func() time.Time) http.Handler {
	return autopayAccept(sv, pay, pr, v, now, false)
}

// handleAutopayChange saves a change of the enrolment, accepted as a new
// authorization. A debit already set (three business days before it goes
// out) still goes out as it was; the change applies from the next.
func handleAutopayChange(sv *servicing.Service, pay *payments.Service, pr *profile.Service, v *views, now func() time.Time) http.Handler {
	return autopayAccept(sv, pay, pr, v, now, true)
}

func autopayAccept(sv *servicing.Service, pay *payments.Service, pr *profile.Service, v *views, now func() time.Time, change bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, ok := autopayLoad(w, r, sv, pay, pr, v, now())
		if !ok {
			return
		}
		c := d.C
		if change && d.A == nil {
			redirect(w, r, "/contracts/"+itoa(c.ID)+"/autopay")
			return
		}
		_ = r.ParseForm()
		d.Change = change
		d.Form = readAutopayForm(r.PostForm)
		req, errs := d.Form.request(c.ID, webcore.ClientIP(r))
		if len(errs) == 0 {
			var err error
			req.Accepted = r.PostForm.Get("accept") == "on"
			req.Version = r.PostForm.Get("version")
			if change {
				_, err = pay.ChangeAutopay(r.Context(), customerOf(r), req)
			} else {
				_, err = pay.EnrolAutopay(r.Context(), customerOf(r), req)
			}
			if err == nil {
				notice := "enrolled"
				if change {
					notice = "changed"
				}
				redirect(w, r, "/contracts/"+itoa(c.ID)+"/autopay?notice="+notice)
				return
			}
			var ok bool
			if errs, ok = autopayErrors(err, d.Form, d.DaysMax); !ok {
				serverError(w, r, v, err)
				return
			}
			if _, onReview := errs["accept"]; onReview || errs[""] == "pay.err_version" {
				reviewAutopay(w, r, pay, v, d, errs)
				return
			}
		}
		title := "pay.autopay_title"
		if change {
			title = "pay.autopay_change_title"
		}
		renderAutopay(w, r, v, http.StatusUnprocessableEntity, "autopay", title, d, errs)
	})
}
