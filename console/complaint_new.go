package console

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"carfin/calendar"
	"carfin/complaints"
)

// complaintForm is the page to log a complaint against a customer.
type complaintForm struct {
	Customer   customerView
	Categories []complaints.Choice
	Channels   []complaints.Choice
	// Last is the customer's newest complaint when the form was shown: the
	// same complaint logged after it is the same submit again.
	Last int64
}

// handleComplaintNew shows the form to log a complaint against the
// customer: category, channel, optionally one of their contracts, the
// date received and what the customer said.
func handleComplaintNew(c Capabilities, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cv, ok := customerOf(c, v, w, r)
		if !ok {
			return
		}
		renderComplaintForm(w, r, c, v, http.StatusOK, cv, v.page(r, ""))
	})
}

func renderComplaintForm(w http.ResponseWriter, r *http.Request, c Capabilities, v *views, status int, cv customerView, p *page) {
	d := complaintForm{Customer: cv, Categories: complaints.Categories, Channels: complaints.Channels}
	if last := p.Val("last"); last != "" {
		d.Last, _ = strconv.ParseInt(last, 10, 64)
	} else {
		cs, err := c.Complaints.OfCustomer(r.Context(), cv.CustomerID)
		if err != nil {
			v.serverError(w, r, err)
			return
		}
		if len(cs) > 0 {
			d.Last = cs[0].ID // newest first
		}
	}
	p.Title = "Log a complaint · " + cv.Name
	p.Data = d
	v.render(w, status, "complaint_new", p)
}

// handleComplaintCreate logs the complaint (complaints.Log), audited,
// and shows it. Bad input is shown at its field with 422 and nothing is
// written; the same complaint sent twice is logged once.
func handleComplaintCreate(c Capabilities, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cv, ok := customerOf(c, v, w, r)
		if !ok {
			return
		}
		p := v.page(r, "")
		for _, k := range []string{"category", "channel", "contract", "received", "description", "last"} {
			p.Form[k] = r.PostFormValue(k)
		}
		n := complaints.NewComplaint{CustomerID: cv.CustomerID, Category: p.Val("category"), Channel: p.Val("channel"),
			Description: p.Val("description")}
		if s := p.Val("contract"); s != "" {
			id, err := strconv.ParseInt(s, 10, 64)
			if err != nil || !cv.HasContract(id) {
				p.Errors["contract"] = "Choose one of the customer's contracts, or none."
			}
			n.ContractID = id
		}
		if s := strings.TrimSpace(p.Val("received")); s != "" {
			d, err := calendar.Parse(s)
			if err != nil {
				p.Errors["received"] = "Enter the date received as YYYY-MM-DD."
			}
			n.ReceivedOn = d
		}
		if len(p.Errors) > 0 {
			renderComplaintForm(w, r, c, v, http.StatusUnprocessableEntity, cv, p)
			return
		}
		last, err := strconv.ParseInt(p.Val("last"), 10, 64)
		if err != nil {
			last = -1 // a form without its guard: nothing to compare
		}
		if id, err := sameComplaint(r, c.Complaints, n, last); err != nil {
			v.serverError(w, r, err)
			return
		} else if id != 0 {
			done(w, r, Prefix+"/complaints/"+strconv.FormatInt(id, 10), "complaint")
			return
		}
		logged, err := c.Complaints.Log(r.Context(), memberOf(r).LoginID, n)
		switch {
		case errors.Is(err, complaints.ErrInvalid):
			field, msg := complaintError(err)
			p.Errors[field] = msg
			renderComplaintForm(w, r, c, v, http.StatusUnprocessableEntity, cv, p)
		case errors.Is(err, complaints.ErrNotFound):
			v.notFound(w, r)
		case errors.Is(err, complaints.ErrNotStaff):
			v.forbidden(w, r)
		case err != nil:
			v.serverError(w, r, err)
		default:
			done(w, r, Prefix+"/complaints/"+strconv.FormatInt(logged.ID, 10), "complaint")
		}
	})
}

// sameComplaint returns the id of a complaint like n that the member
// logged after the customer's complaint last (the form sent twice), or 0.
func sameComplaint(r *http.Request, cm *complaints.Service, n complaints.NewComplaint, last int64) (int64, error) {
	if last < 0 {
		return 0, nil
	}
	cs, err := cm.OfCustomer(r.Context(), n.CustomerID)
	if err != nil {
		return 0, err
	}
	me := memberOf(r).LoginID
	for _, c := range cs {
		if c.ID > last && c.LoggedBy == me && c.Category == n.Category && c.Channel == n.Channel && c.ContractID == n.ContractID &&
			c.Description == strings.TrimSpace(n.Description) && (n.ReceivedOn == 0 || c.ReceivedOn == n.ReceivedOn) {
			return c.ID, nil
		}
	}
	return 0, nil
}

// complaintError is the field and the words for complaints' ErrInvalid,
// whose message names what was wrong.
func complaintError(err error) (field, msg string) {
	s := err.Error()
	switch {
	case strings.Contains(s, "category"):
		return "category", "Choose what the complaint is about."
	case strings.Contains(s, "channel"):
		return "channel", "Choose how the complaint reached us."
	case strings.Contains(s, "description") && strings.Contains(s, "required"):
		return "description", "Describe the complaint in the customer's words."
	case strings.Contains(s, "description"):
		return "description", "The description is too long: at most 4,000 characters, plain text."
	case strings.Contains(s, "future"):
		return "received", "The date received cannot be in the future."
	case strings.Contains(s, "date received"):
		return "received", "The date received is more than a year ago: such a complaint is imported, not logged here."
	case strings.Contains(s, "contract"):
		return "contract", "Choose one of the customer's contracts, or none."
	case strings.Contains(s, "resolution") && strings.Contains(s, "required"):
		return "resolution", "Write the resolution: what was found and done."
	case strings.Contains(s, "resolution"):
		return "resolution", "The resolution is too long: at most 4,000 characters, plain text."
	case strings.Contains(s, "note") && strings.Contains(s, "required"):
		return "note", "Write what the customer was told."
	case strings.Contains(s, "note"):
		return "note", "The note is too long: at most 4,000 characters, plain text."
	}
	return "", "The complaint could not be saved: " + strings.TrimPrefix(s, complaints.ErrInvalid.Error()+": ") + "."
}
