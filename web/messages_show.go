package web

import (
	"errors"
	"net/http"

	"carfin/support"
)

// threadData is what the thread page shows.
type threadData struct {
	Thread *support.Thread
	Limits attachmentLimits
}

func renderThread(w http.ResponseWriter, r *http.Request, sup *support.Service, v *views, status int, form map[string]string, errs map[string]string) {
	tid, ok := idParam(r, "id")
	if !ok {
		handleNotFound(v).ServeHTTP(w, r)
		return
	}
	t, err := sup.Thread(r.Context(), customerOf(r), tid)
	if errors.Is(err, support.ErrNotFound) {
		handleNotFound(v).ServeHTTP(w, r)
		return
	}
	if err != nil {
		serverError(w, r, v, err)
		return
	}
	p := v.page(r, "messages.thread_title")
	p.Session = sessionOf(r)
	p.Data = threadData{Thread: t, Limits: messageLimits}
	if r.URL.Query().Get("notice") == "sent" {
		p.Notice = "messages.notice_sent"
	}
	for k, val := range form {
		p.Form[k] = val
	}
	for k, e := range errs {
		p.Errors[k] = e
	}
	v.render(w, status, "messages_thread", p)
}

// handleMessagesShow shows one of the customer's threads and marks its
// replies read. Another customer's thread is not found.
func handleMessagesShow(sup *support.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tid, ok := idParam(r, "id"); ok {
			if err := sup.MarkRead(r.Context(), customerOf(r), tid); err != nil && !errors.Is(err, support.ErrNotFound) {
				serverError(w, r, v, err)
				return
			}
		}
		renderThread(w, r, sup, v, http.StatusOK, nil, nil)
	})
}

// fileTypeKeys name the attachment types.
var fileTypeKeys = map[string]string{"application/pdf": "messages.type_pdf", "image/png": "messages.type_png", "image/jpeg": "messages.type_jpeg"}

// FileType names an attachment's content type in the page's language.
func (p *page) FileType(contentType string) string {
	if k, ok := fileTypeKeys[contentType]; ok {
		return p.T(k)
	}
	return contentType
}

// FileSize is a size in KiB, at least 1.
func (p *page) FileSize(n int64) string { return p.T("messages.kib", max((n+1023)/1024, 1)) }
