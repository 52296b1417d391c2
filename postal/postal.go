// Package postal holds the rules of a US mailing address that carfin
// accepts anywhere one comes in — the customer's own change in the
// portal (package profile) and the lender's origination hand-over
// (servicing.NewCustomer) — so that every letter, statement and tax form
// carfin prints fits its address block and the Postal Service can read
// it.
package postal

import (
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// Limits of an address, from the Postal Service's addressing standards
// (USPS Publication 28): its automated equipment reads at most 40
// characters on a delivery-address line, after the standard
// abbreviations (St, Ave, Apt, Ste, §2 and Appendix C), and its City State
// file names every city in at most 28 (the abbreviated name for longer
// ones). At 10.5-point Helvetica a line of 40 of the widest letter
// (W) is 140 mm, inside the 180 mm between the letters' margins
// (quotes.RenderLetter; its test renders the widest address).
const (
	// LineRunesMax bounds each of the two address lines.
	LineRunesMax = 40
	// CityRunesMax bounds the city.
	CityRunesMax = 28
)

// states are the USPS codes a mailing address may have: the states, DC,
// the territories and the military "states" (USPS Publication 28,
// Appendix B).
var states = func() map[string]bool {
	m := map[string]bool{}
	for c := range strings.FieldsSeq(`AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY
		NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC AS GU MP PR VI AA AE AP`) {
		m[c] = true
	}
	return m
}()

// ValidState reports whether code is the USPS code of a state, DC, a
// territory or a military "state", in capitals ("OH"; not "oh" or "ZZ").
func ValidState(code string) bool { return states[code] }

// ValidZIP reports whether zip is a ZIP Code (12345) or ZIP+4
// (12345-6789).
func ValidZIP(zip string) bool {
	digits := func(s string) bool {
		for _, c := range []byte(s) {
			if c < '0' || c > '9' {
				return false
			}
		}
		return true
	}
	return (len(zip) == 5 && digits(zip)) || (len(zip) == 10 && zip[5] == '-' && digits(zip[:5]) && digits(zip[6:]))
}

// Printable reports whether every character of s is one the letters'
// core fonts print (Windows-1252: Latin letters with their accents,
// digits, punctuation) and none is a control character: an address in
// another script would print as dots, and the Postal Service reads
// addresses in Latin letters.
func Printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return false
		}
		if r >= 0x80 {
			if _, ok := charmap.Windows1252.EncodeRune(r); !ok {
				return false
			}
		}
	}
	return true
}
