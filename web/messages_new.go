package web

import (
	"net/http"

	"carfin/support"
)

// attachmentLimits are shown next to the file field.
type attachmentLimits struct {
	FilesMax int
	MiBMax   int
}

var messageLimits = attachmentLimits{FilesMax: support.AttachmentsPerMessageMax, MiBMax: support.AttachmentBytesMax >> 20}

func renderMessageNew(w http.ResponseWriter, r *http.Request, v *views, status int, form map[string]string, errs map[string]string) {
	p := v.page(r, "messages.new_title")
	p.Session = sessionOf(r)
	p.Data = messageLimits
	for k, val := range form {
		p.Form[k] = val
	}
	for k, e := range errs {
		p.Errors[k] = e
	}
	v.render(w, status, "messages_new", p)
}

// handleMessagesNew shows the form to write to support.
func handleMessagesNew(v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		renderMessageNew(w, r, v, http.StatusOK, nil, nil)
	})
}
