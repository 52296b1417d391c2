package console

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"carfin/support"
)

// replyForm is a staff reply as received: multipart, its text fields and
// attached files read into memory within their limits.
type replyForm struct {
	Body  string
	Files []support.Upload
	// Last is the newest message of the thread when the form was shown:
	// a reply of the same text after it is the same submit again.
	Last int64
	// TooLarge: a file or the whole body was over its limit.
	TooLarge bool
}

// Limits of a reply form's parts (beyond support's, which judge them).
const (
	replyTextBytesMax = 4 * support.BodyRunesMax // UTF-8: at most 4 bytes a rune
	replyPartsMax     = 16
)

var errBadForm = errors.New("not a reply form")

// readReplyForm reads a multipart reply part by part: text fields up to
// replyTextBytesMax, files ("attachments", empty ones skipped) up to
// support.AttachmentBytesMax+1 bytes, so that support can tell a file
// that is too large. The whole body is bounded by uploadBytesMax
// (routes.go). Returns errBadForm for a body that is not multipart.
func readReplyForm(r *http.Request) (replyForm, error) {
	var f replyForm
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "multipart/form-data" {
		return f, errBadForm
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return f, errBadForm
	}
	var tooBig *http.MaxBytesError
	for range replyPartsMax {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return f, nil
		}
		if errors.As(err, &tooBig) {
			f.TooLarge = true
			return f, nil
		}
		if err != nil {
			return f, errBadForm
		}
		limit := int64(replyTextBytesMax + 1)
		if part.FormName() == "attachments" {
			limit = support.AttachmentBytesMax + 1
		}
		b, err := io.ReadAll(io.LimitReader(part, limit))
		if errors.As(err, &tooBig) {
			f.TooLarge = true
			return f, nil
		}
		if err != nil {
			return f, errBadForm
		}
		switch part.FormName() {
		case "body":
			f.Body = string(b)
		case "last":
			f.Last, _ = strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		case "attachments":
			if part.FileName() == "" && len(b) == 0 {
				break // the file field left empty
			}
			f.Files = append(f.Files, support.Upload{Name: part.FileName(), Data: b})
		}
		_ = part.Close()
	}
	return f, errBadForm
}

// sameText reports whether a typed body is a stored one (support trims
// it and keeps \n line ends).
func sameText(typed, stored string) bool {
	typed = strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(typed, "\r\n", "\n"), "\r", "\n"))
	return typed == stored
}

// replyErrors are support's refusals of a reply, in words, by field.
var replyErrors = map[string]string{
	"body_" + support.Required:         "Write the reply.",
	"body_" + support.TooLong:          "The reply is too long: at most 5,000 characters.",
	"attachments_" + support.TooMany:   "Attach at most 3 files.",
	"attachments_" + support.TooLarge:  "A file is too large: at most 5 MB each.",
	"attachments_" + support.WrongType: "Attach PDF, PNG or JPEG files only.",
	"reason_" + support.Required:       "Give the reason for closing.",
	"reason_" + support.TooLong:        "The reason is too long: at most 500 characters.",
}

// fieldMessages maps support's FieldErrors to words by field.
func fieldMessages(fe support.FieldErrors) map[string]string {
	out := map[string]string{}
	for field, reason := range fe {
		msg, ok := replyErrors[field+"_"+reason]
		if !ok {
			msg = "Check this field."
		}
		out[field] = msg
	}
	return out
}
