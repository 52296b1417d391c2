package web

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"carfin/support"
)

// messageForm is a message form as received: multipart, its text fields
// and attached files read into memory within their limits.
type messageForm struct {
	Subject, Body string
	Files         []support.Upload
	// TooLarge: a file or the whole body was over its limit.
	TooLarge bool
}

// Limits of a message form's parts (beyond support's, which judge them).
const (
	formTextBytesMax = 4 * support.BodyRunesMax // UTF-8: at most 4 bytes a rune
	formPartsMax     = 16
)

var errBadForm = errors.New("not a message form")

// readMessageForm reads a multipart message form part by part: text fields
// up to formTextBytesMax, files ("attachments", empty ones skipped) up to
// support.AttachmentBytesMax+1 bytes, so that support can tell a file that
// is too large. The whole body is bounded by messageBytesMax
// (withBodyLimit). Returns errBadForm for a body that is not multipart.
func readMessageForm(r *http.Request) (messageForm, error) {
	var f messageForm
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "multipart/form-data" {
		return f, errBadForm
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return f, errBadForm
	}
	for range formPartsMax {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return f, nil
		}
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			f.TooLarge = true
			return f, nil
		}
		if err != nil {
			return f, errBadForm
		}
		switch part.FormName() {
		case "subject", "body":
			b, err := io.ReadAll(io.LimitReader(part, formTextBytesMax+1))
			if errors.As(err, &tooBig) {
				f.TooLarge = true
				return f, nil
			}
			if err != nil {
				return f, errBadForm
			}
			if part.FormName() == "subject" {
				f.Subject = string(b)
			} else {
				f.Body = string(b)
			}
		case "attachments":
			b, err := io.ReadAll(io.LimitReader(part, support.AttachmentBytesMax+1))
			if errors.As(err, &tooBig) {
				f.TooLarge = true
				return f, nil
			}
			if err != nil {
				return f, errBadForm
			}
			if part.FileName() == "" && len(b) == 0 {
				continue // the file field left empty
			}
			f.Files = append(f.Files, support.Upload{Name: part.FileName(), Data: b})
		}
		_ = part.Close()
	}
	return f, errBadForm
}

// messageErrors maps support's refusals to messages next to the fields.
func messageErrors(fe support.FieldErrors) map[string]string {
	out := map[string]string{}
	for field, reason := range fe {
		out[field] = "messages.err_" + field + "_" + reason
	}
	return out
}

// trimForm keeps what the customer typed, to show again.
func (f messageForm) values() map[string]string {
	return map[string]string{"subject": strings.TrimSpace(f.Subject), "body": f.Body}
}
