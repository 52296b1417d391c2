package main

import (
	"strings"

	"carfin/db"
	"carfin/quotes"
	"carfin/servicing"
)

// newQuotes builds the quotes service: the lender's letterhead (name,
// --lender-address, support phone) and the payoff instructions
// (--payoff-wire, --payoff-mail).
func newQuotes(cfg serveConfig, d *db.DB, sv *servicing.Service) (*quotes.Service, error) {
	return quotes.New(d, sv, quotes.Config{
		Letterhead: quotes.Letterhead{Name: cfg.Brand.Name, Address: splitLines(cfg.LenderAddress), Phone: cfg.Brand.SupportPhone},
		Wire:       splitLines(cfg.PayoffWire),
		Mail:       splitLines(cfg.PayoffMail),
	})
}

// splitLines splits a "|"-separated setting into its non-empty lines.
func splitLines(s string) []string {
	var out []string
	for l := range strings.SplitSeq(s, "|") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// demoPayoffInstructions gives the demo lender (fictional, like
// everything in the demo) an address and payoff instructions, unless the
// command line set them.
func demoPayoffInstructions(cfg *serveConfig) {
	if cfg.LenderAddress == "" {
		cfg.LenderAddress = "100 Harbor Way|Columbus, OH 43215"
	}
	if cfg.PayoffWire == "" {
		cfg.PayoffWire = "Bank: Example Federal Bank (fictional)|ABA routing number: 000000000|Account number: 0000000000|Beneficiary: Northwind Motor Finance|Reference: your quote number"
	}
	if cfg.PayoffMail == "" {
		cfg.PayoffMail = "Northwind Motor Finance|Attn: Payoffs|PO Box 0000|Columbus, OH 43216"
	}
}
