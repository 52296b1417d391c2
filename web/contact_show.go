package web

import (
	"net/http"
	"strings"
)

// MailingAddress is one of the lender's postal addresses.
type MailingAddress struct {
	// Kind says what it is for: "correspondence", "payments" (checks) or
	// "overnight" (overnight and courier payments).
	Kind string
	// Lines are the address lines, e.g. "PO Box 4100", "Columbus, OH 43216".
	Lines []string
}

// MailingAddressKinds are the kinds of MailingAddress, in the order shown.
var MailingAddressKinds = []string{"correspondence", "payments", "overnight"}

// OneLine is the address on one line.
func (a MailingAddress) OneLine() string { return strings.Join(a.Lines, ", ") }

// correspondenceAddress is the address for letters, or the first one.
func (c Config) correspondenceAddress() string {
	for _, a := range c.MailingAddresses {
		if a.Kind == "correspondence" {
			return a.OneLine()
		}
	}
	if len(c.MailingAddresses) > 0 {
		return c.MailingAddresses[0].OneLine()
	}
	return ""
}

// handleContactShow shows how to reach the lender: phone and hours, the
// mailing addresses, and secure messages. Open to everyone.
func handleContactShow(v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := v.page(r, "contact.title")
		p.Session = sessionOf(r)
		p.Data = v.cfg.MailingAddresses
		v.render(w, http.StatusOK, "contact", p)
	})
}
