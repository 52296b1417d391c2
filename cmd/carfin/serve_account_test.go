package main

import (
	"io"
	"slices"
	"testing"

	"carfin/db/dbtest"
)

// TestPayoffSettings: the payoff letter's address and instructions come
// from their flags, else from the lender's mailing addresses.
func TestPayoffSettings(t *testing.T) {
	d := dbtest.SQLite(t)
	cfg, err := parseServeConfig([]string{"--payoff-wire", "Bank: First Example; ABA: 021000021;; "}, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	qs, err := newQuotes(cfg, d, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := qs.Config()
	if !slices.Equal(c.Wire, []string{"Bank: First Example", "ABA: 021000021"}) ||
		!slices.Equal(c.Letterhead.Address, []string{"PO Box 4100", "Columbus, OH 43216"}) ||
		len(c.Mail) == 0 || c.Mail[1] != "100 Harbor Way, Suite 200" {
		t.Errorf("defaults: %+v", c)
	}
	cfg, _ = parseServeConfig([]string{"--lender-address", "1 Main St;Town, ST 00000", "--payoff-mail", "PO Box 1;Town, ST 00000"},
		noEnv, io.Discard)
	qs, _ = newQuotes(cfg, d, nil)
	if c := qs.Config(); len(c.Wire) != 0 || c.Letterhead.Address[0] != "1 Main St" || c.Mail[0] != "PO Box 1" {
		t.Errorf("flags: %+v", c)
	}
}
