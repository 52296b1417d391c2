package ach

import moov "github.com/moov-io/ach"

// ReturnReason is a return reason code (Nacha Operating Rules, Appendix
// Four) with its title and a plain-words text for the customer.
type ReturnReason struct {
	Code  string
	Title string
	// Customer says what happened in words a customer understands.
	Customer string
}

// returnReasons gives carfin's titles and customer texts for the codes an
// RDFI uses for consumer debits, and for the dishonored (R61, R62,
// R67–R70) and contested dishonored (R71–R77) returns a bank may report.
// Every code here is one moov-io/ach knows (a test holds it to that); the
// other codes of Appendix Four get moov-io/ach's title.
var returnReasons = map[string]ReturnReason{
	"R01": {"R01", "Insufficient funds", "Your bank returned the payment because the account did not have enough money."},
	"R02": {"R02", "Account closed", "Your bank returned the payment because the account is closed."},
	"R03": {"R03", "No account / unable to locate account", "Your bank returned the payment because it could not find the account."},
	"R04": {"R04", "Invalid account number structure", "Your bank returned the payment because the account number is not valid."},
	"R05": {"R05", "Unauthorized debit to consumer account using corporate SEC code", "Your bank returned the payment as not authorized."},
	"R06": {"R06", "Returned per ODFI's request", "The payment was recalled by our bank."},
	"R07": {"R07", "Authorization revoked by customer", "Your bank returned the payment because the authorization was revoked."},
	"R08": {"R08", "Payment stopped", "Your bank returned the payment because a stop payment was placed on it."},
	"R09": {"R09", "Uncollected funds", "Your bank returned the payment because the money in the account was not yet available."},
	"R10": {"R10", "Customer advises originator is not known and/or not authorized", "Your bank returned the payment as not authorized."},
	"R11": {"R11", "Customer advises entry not in accordance with the terms of the authorization", "Your bank returned the payment as not matching what you authorized."},
	"R12": {"R12", "Account sold to another DFI", "Your bank returned the payment because the account moved to another bank."},
	"R13": {"R13", "Invalid ACH routing number", "Your bank returned the payment because the bank's routing number is not valid for these payments."},
	"R14": {"R14", "Representative payee deceased", "Your bank returned the payment."},
	"R15": {"R15", "Beneficiary or account holder deceased", "Your bank returned the payment."},
	"R16": {"R16", "Account frozen / entry returned per OFAC instruction", "Your bank returned the payment because the account is frozen."},
	"R17": {"R17", "File record edit criteria", "Your bank could not process the payment."},
	"R20": {"R20", "Non-transaction account", "Your bank returned the payment because the account does not allow these payments."},
	"R23": {"R23", "Credit entry refused by receiver", "Your bank refused the deposit."},
	"R24": {"R24", "Duplicate entry", "Your bank returned the payment as a duplicate."},
	"R29": {"R29", "Corporate customer advises not authorized", "Your bank returned the payment as not authorized."},
	"R31": {"R31", "Permissible return entry (CCD and CTX only)", "Your bank returned the payment."},
	"R51": {"R51", "Item related to RCK entry is ineligible or improper", "Your bank returned the payment."},
	"R61": {"R61", "Misrouted return", "The payment was returned."},
	"R62": {"R62", "Return of erroneous or reversing debit", "The payment was returned."},
	"R67": {"R67", "Duplicate return", "The payment was returned."},
	"R68": {"R68", "Untimely return", "The payment was returned."},
	"R69": {"R69", "Field error(s)", "The payment was returned."},
	"R70": {"R70", "Permissible return entry not accepted / return not requested by ODFI", "The payment was returned."},
	"R71": {"R71", "Misrouted dishonored return", "The payment was returned."},
	"R72": {"R72", "Untimely dishonored return", "The payment was returned."},
	"R73": {"R73", "Timely original return", "The payment was returned."},
	"R74": {"R74", "Corrected return", "The payment was returned."},
	"R75": {"R75", "Return not a duplicate", "The payment was returned."},
	"R76": {"R76", "No errors found", "The payment was returned."},
	"R77": {"R77", "Non-acceptance of R62 dishonored return", "The payment was returned."},
	"R83": {"R83", "Foreign receiving DFI unable to settle", "The payment was returned."},
}

// Dishonored reports whether a code is a dishonored return (Nacha
// Appendix Four, Part 4.2: R61, R62, R67–R70, as moov-io/ach lists them):
// the ODFI refusing the RDFI's return of an entry, not a return of the
// entry itself.
func Dishonored(code string) bool { return moov.IsDishonoredReturnCode(code) }

// Contested reports whether a code is a contested dishonored return
// (R71–R77): the RDFI disputing the ODFI's dishonor of its return. Like a
// dishonor, it is the banks' dispute, not a return of the entry.
func Contested(code string) bool { return moov.IsContestedReturnCode(code) }

// Reason returns the reason for a return code: carfin's title and words
// for the customer, or moov-io/ach's title of another Appendix Four code
// with generic words; a code the rules do not define (which the parsers
// refuse) gets the title "Returned (code)".
func Reason(code string) ReturnReason {
	if r, ok := returnReasons[code]; ok {
		return r
	}
	if KnownReturnCode(code) {
		return ReturnReason{Code: code, Title: moov.LookupReturnCode(code).Reason, Customer: "Your bank returned the payment."}
	}
	return ReturnReason{Code: code, Title: "Returned (" + code + ")", Customer: "Your bank returned the payment."}
}

// changeCodes are notification-of-change codes (Appendix Four, Part
// 4.3): what the RDFI says must be corrected before the next entry.
var changeCodes = map[string]string{
	"C01": "Incorrect DFI account number",
	"C02": "Incorrect routing number",
	"C03": "Incorrect routing number and incorrect DFI account number",
	"C04": "Incorrect individual name / receiving company name",
	"C05": "Incorrect transaction code",
	"C06": "Incorrect DFI account number and incorrect transaction code",
	"C07": "Incorrect routing number, incorrect DFI account number, and incorrect transaction code",
	"C09": "Incorrect individual identification number",
	"C13": "Addenda format error",
	"C14": "Incorrect SEC code for outbound international payment",
}

// ChangeTitle returns the title of a notification-of-change code:
// carfin's, or moov-io/ach's for the codes carfin does not act on.
func ChangeTitle(code string) string {
	if t, ok := changeCodes[code]; ok {
		return t
	}
	if KnownChangeCode(code) {
		return moov.LookupChangeCode(code).Reason
	}
	return "Notification of change (" + code + ")"
}

// Correction is the corrected data of a notification of change, split by
// its change code (Appendix Four's corrected-data layouts, positions of
// the 29-character field).
type Correction struct {
	Routing         string // C02, C03, C07
	Account         string // C01, C03, C06, C07
	TransactionCode int    // C05, C06, C07
	Name            string // C04
	IndividualID    string // C09
}

// ParseCorrection splits the 29-character corrected-data field of a
// notification of change. It returns ok false for a code carfin does not
// act on or data that does not fit the layout.
//
//	C01: account (1–17)            C02: routing (1–9)
//	C03: routing (1–9), blank, account (13–29)
//	C04: name (1–22)               C05: transaction code (1–2)
//	C06: account (1–17), blank, transaction code (21–22)
//	C07: routing (1–9), account (10–26), transaction code (27–28)
//	C09: individual id (1–22)
//
// A C04 name is returned as Name writes it; one Name refuses is not ok.
func ParseCorrection(code, data string) (Correction, bool) {
	pad := data + "                             "
	field := func(from, to int) string { return trimBlank(pad[from-1 : to]) }
	tc := func(from int) int {
		s := pad[from-1 : from+1]
		if !allDigits(s) {
			return 0
		}
		return int(s[0]-'0')*10 + int(s[1]-'0')
	}
	var c Correction
	switch code {
	case "C01":
		c.Account = field(1, 17)
	case "C02":
		c.Routing = field(1, 9)
	case "C03":
		c.Routing, c.Account = field(1, 9), field(13, 29)
	case "C04":
		c.Name = field(1, 22)
	case "C05":
		c.TransactionCode = tc(1)
	case "C06":
		c.Account, c.TransactionCode = field(1, 17), tc(21)
	case "C07":
		c.Routing, c.Account, c.TransactionCode = field(1, 9), field(10, 26), tc(27)
	case "C09":
		c.IndividualID = field(1, 22)
	default:
		return c, false
	}
	if c.Routing != "" && CheckRouting(c.Routing) != nil {
		return c, false
	}
	if (code == "C01" || code == "C03" || code == "C06" || code == "C07") && (c.Account == "" || !allDigits(c.Account)) {
		return c, false
	}
	if (code == "C05" || code == "C06" || code == "C07") && c.TransactionCode == 0 {
		return c, false
	}
	if code == "C04" {
		// The next entry must carry the name: one that would leave fewer
		// than two letters cannot be applied.
		name, err := Name(c.Name)
		if err != nil {
			return c, false
		}
		c.Name = name
	}
	return c, true
}

func trimBlank(s string) string {
	i, j := 0, len(s)
	for i < j && s[i] == ' ' {
		i++
	}
	for j > i && s[j-1] == ' ' {
		j--
	}
	return s[i:j]
}
