package main

import (
	"strings"

	"carfin/db"
	"carfin/quotes"
	"carfin/servicing"
	"carfin/web"
)

// newQuotes builds the quotes service: the lender's letterhead (name,
// --lender-address or else the correspondence address, support phone) and
// the payoff instructions (--payoff-wire; --payoff-mail or else the
// overnight address, then the payments one: a payoff is usually sent
// overnight).
func newQuotes(cfg serveConfig, d *db.DB, sv *servicing.Service) (*quotes.Service, error) {
	address := splitLines(cfg.LenderAddress)
	if address == nil {
		address = addressOf(cfg.MailingAddresses, "correspondence")
		if len(address) > 1 && strings.HasPrefix(address[0], cfg.Brand.Name) {
			address = address[1:] // the letterhead names the lender already
		}
	}
	mail := splitLines(cfg.PayoffMail)
	if mail == nil {
		if mail = addressOf(cfg.MailingAddresses, "overnight"); mail == nil {
			mail = addressOf(cfg.MailingAddresses, "payments")
		}
	}
	return quotes.New(d, sv, quotes.Config{
		Letterhead: quotes.Letterhead{Name: cfg.Brand.Name, Address: address, Phone: cfg.Brand.SupportPhone},
		Wire:       splitLines(cfg.PayoffWire),
		Mail:       mail,
	})
}

func addressOf(as []web.MailingAddress, kind string) []string {
	for _, a := range as {
		if a.Kind == kind {
			return a.Lines
		}
	}
	return nil
}

// splitLines splits a ";"-separated setting into its non-empty lines.
func splitLines(s string) []string {
	var out []string
	for l := range strings.SplitSeq(s, ";") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// demoPayoffInstructions gives the demo lender (fictional, like
// everything in the demo) wiring instructions, unless the command line
// set them.
func demoPayoffInstructions(cfg *serveConfig) {
	if cfg.PayoffWire == "" {
		cfg.PayoffWire = "Bank: Example Federal Bank (fictional); ABA routing number: 000000000; Account number: 0000000000; " +
			"Beneficiary: Northwind Motor Finance; Reference: your quote number"
	}
}
