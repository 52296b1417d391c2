package console

import (
	"errors"
	"net/http"
	"strconv"

	"carfin/casefile"
	"carfin/staff"
	"carfin/support"
	"carfin/webcore"
)

// threadData is a thread's page: where it stands in the queue, its
// messages, who it may be assigned to, and the newest message's id (the
// reply form's guard against a second submit).
type threadData struct {
	Item        support.QueueItem
	Thread      *support.Thread
	CloseReason string
	Assignees   []staff.Member
	Last        int64
	Me          int64
}

// Awaiting reports whether the thread waits for a reply.
func (d threadData) Awaiting() bool { return d.Item.Awaiting() }

// Closed reports whether the thread is closed.
func (d threadData) Closed() bool { return d.Item.Status == support.StatusClosed }

// handleMessageShow is one thread for staff: the customer's and staff's
// messages oldest first with their attachments, and the forms to reply,
// assign and close. Opening it marks the customer's messages read by
// staff and is written to the audit log as a page of the customer's
// record ("message:ID"). An unknown thread is not found.
func handleMessageShow(sup *support.Service, st *staff.Service, cf *casefile.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(v, w, r, "id")
		if !ok {
			return
		}
		if !threadOpened(w, r, sup, cf, v, id, "message:"+strconv.FormatInt(id, 10)) {
			return
		}
		renderThread(w, r, sup, st, v, http.StatusOK, id, v.page(r, ""))
	})
}

// threadOpened audits that the member opened page of thread id's
// customer (casefile.Opened). An unknown thread is answered 404 here
// (false).
func threadOpened(w http.ResponseWriter, r *http.Request, sup *support.Service, cf *casefile.Service, v *views, id int64, page string) bool {
	item, err := sup.QueueItem(r.Context(), id)
	if errors.Is(err, support.ErrNotFound) {
		v.notFound(w, r)
		return false
	}
	if err == nil {
		err = cf.Opened(r.Context(), memberOf(r).LoginID, item.CustomerID, page, true, webcore.ClientIP(r))
	}
	if err != nil {
		v.serverError(w, r, err)
		return false
	}
	return true
}

// pathID reads the path value name as a record's id; anything but a
// positive number is answered 404 here (ok false).
func pathID(v *views, w http.ResponseWriter, r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		v.notFound(w, r)
		return 0, false
	}
	return id, true
}

// renderThread renders thread id's page with status, p carrying any
// errors and typed values to show again. An unknown thread is not found.
func renderThread(w http.ResponseWriter, r *http.Request, sup *support.Service, st *staff.Service, v *views, status int, id int64, p *page) {
	ctx := r.Context()
	item, err := sup.QueueItem(ctx, id)
	if errors.Is(err, support.ErrNotFound) {
		v.notFound(w, r)
		return
	}
	if err != nil {
		v.serverError(w, r, err)
		return
	}
	t, err := sup.StaffThread(ctx, id)
	if err != nil {
		v.serverError(w, r, err)
		return
	}
	d := threadData{Item: item, Thread: t, Me: memberOf(r).LoginID}
	if n := len(t.Messages); n > 0 {
		d.Last = t.Messages[n-1].ID
	}
	if d.Closed() {
		if d.CloseReason, err = sup.CloseReason(ctx, id); err != nil {
			v.serverError(w, r, err)
			return
		}
	}
	members, err := st.List(ctx)
	if err != nil {
		v.serverError(w, r, err)
		return
	}
	for _, m := range members {
		if m.May(staff.ReplyMessage) {
			d.Assignees = append(d.Assignees, m)
		}
	}
	p.Title = t.Subject
	p.Data = d
	v.render(w, status, "message_thread", p)
}
