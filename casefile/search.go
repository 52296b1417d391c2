package casefile

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"carfin/callers"
	"carfin/db"
)

// Limits of a search.
const (
	// QueryRunesMin and QueryRunesMax bound a query: one letter would
	// match a twentieth of the book, and nobody's name or address is
	// longer than a hundred characters.
	QueryRunesMin = 2
	QueryRunesMax = 100
	// HitsMax bounds the customers one search returns (and the default
	// limit): past a screenful, the agent should type more.
	HitsMax = 50
	// accountsPerHitMax bounds the contracts shown in one hit.
	accountsPerHitMax = 20
)

// Kind is what a query was read as (Classify).
type Kind string

// Kinds of query.
const (
	KindName    Kind = "name"    // a first and/or last name prefix, case-insensitive
	KindAccount Kind = "account" // a contract's account number, exact
	KindEmail   Kind = "email"   // a customer's email on file or login email, exact, case-insensitive
	KindPhone   Kind = "phone"   // a phone number, its ten digits exact
	KindVIN6    Kind = "vin6"    // the VIN's last six characters, exact, case-insensitive
)

// Errors of a bad query; nothing was searched.
var (
	ErrQueryEmpty = errors.New("type a name, account number, email, phone or the VIN's last 6")
	ErrQueryShort = fmt.Errorf("type at least %d characters", QueryRunesMin)
	ErrQueryLong  = fmt.Errorf("type at most %d characters", QueryRunesMax)
)

// Hit is a customer found, with masked data only.
type Hit struct {
	CustomerID int64
	// Name is the full name, City and State the address's.
	Name, City, State string
	// Email is masked: its first letter and its domain, "a•••@example.com".
	Email string
	// PhoneLast4 is the phone's last four digits ("" without a phone).
	PhoneLast4 string
	// Accounts are the customer's contracts, oldest first (at most
	// accountsPerHitMax).
	Accounts []Account
	// MatchedBy is how the query was read.
	MatchedBy Kind
}

// Account is one contract of a Hit.
type Account struct {
	ContractID int64
	// Number is masked: its last four characters (callers.MaskAccount).
	Number string
	// Kind is "loan" or "lease", Status the contract's state ("active", "paid_off", …).
	Kind, Status string
	VehicleYear  int
	VehicleMake  string
	VehicleModel string
}

// Classify reads the kind of a query from its shape, in this order: with
// an "@", an email; digits only, accountDigits of them (when not 0), an
// account number; ten digits (or eleven from a 1) with only phone
// punctuation, a phone number; six letters and digits with a digit, a
// VIN's end; any other single word with a digit, an account number; else
// a name.
func Classify(query string, accountDigits int) Kind {
	q := strings.TrimSpace(query)
	digits, letters, phoneChars, other := 0, 0, 0, 0
	for _, r := range q {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r < utf8.RuneSelf && unicode.IsLetter(r):
			letters++
		case strings.ContainsRune(" -().+", r):
			phoneChars++
		default:
			other++
		}
	}
	switch {
	case strings.Contains(q, "@"):
		return KindEmail
	case accountDigits > 0 && digits == len(q) && digits == accountDigits:
		return KindAccount
	case letters == 0 && other == 0 && phoneDigits(q) != "":
		return KindPhone
	case len(q) == 6 && digits > 0 && digits+letters == 6:
		return KindVIN6
	case digits > 0 && !strings.ContainsFunc(q, unicode.IsSpace):
		return KindAccount
	}
	return KindName
}

// phoneDigits returns the ten digits of a US phone number written with any
// punctuation (an eleventh, leading 1 dropped), or "".
func phoneDigits(s string) string {
	d := digitsOf(s)
	if len(d) == 11 && d[0] == '1' {
		d = d[1:]
	}
	if len(d) != 10 {
		return ""
	}
	return d
}

// phoneDigitsSQL is the stored phone's digits, the expression of index
// customers_phone_digits (migration 00550), character for character.
const phoneDigitsSQL = `replace(replace(replace(replace(replace(replace(phone, '+', ''), '-', ''), ' ', ''), '(', ''), ')', ''), '.', '')`

// prefixUpper ends the range of strings that begin with a prefix: no
// UTF-8 character sorts, byte by byte, after U+10FFFF.
const prefixUpper = "\U0010FFFF"

// prefixSQL is a case-insensitive prefix test of column by a range over
// its lower-cased value, lo ≤ lower(column) < hi, in byte order, which
// indexes customers_*_name_prefix serve (migration 00550). PostgreSQL's
// plain < follows the collation, so it uses the pattern operators.
func prefixSQL(e db.Engine, column, lo, hi string) string {
	if e == db.Postgres {
		return fmt.Sprintf("lower(%s) ~>=~ %s AND lower(%s) ~<~ %s", column, lo, column, hi)
	}
	return fmt.Sprintf("lower(%s) >= %s AND lower(%s) < %s", column, lo, column, hi)
}

// Search finds customers by query (its kind read by Classify), at most
// limit (0, or over HitsMax: HitsMax), ordered by name. A query matching
// more customers than limit returns limit of them: the agent should type
// more. Returns ErrQueryEmpty, ErrQueryShort or ErrQueryLong for a bad
// query.
func (s *Service) Search(ctx context.Context, query string, limit int) ([]Hit, error) {
	q := strings.TrimSpace(strings.ToValidUTF8(query, ""))
	switch n := utf8.RuneCountInString(q); {
	case n == 0:
		return nil, ErrQueryEmpty
	case n < QueryRunesMin:
		return nil, ErrQueryShort
	case n > QueryRunesMax:
		return nil, ErrQueryLong
	}
	if limit <= 0 || limit > HitsMax {
		limit = HitsMax
	}
	kind := Classify(q, s.cfg.AccountDigits)
	e := s.db.Engine
	// ids selects the customers matched, at most $1, from the parameters
	// $2 and on.
	var ids string
	args := []any{limit}
	switch kind {
	case KindEmail:
		ids = `SELECT id FROM (SELECT id FROM customers WHERE lower(email) = $2 LIMIT $1) e
			UNION SELECT customer_id FROM (SELECT customer_id FROM logins WHERE realm = 'customer' AND email = $2 AND customer_id IS NOT NULL LIMIT $1) l`
		args = append(args, strings.ToLower(q))
	case KindAccount:
		ids = `SELECT customer_id FROM contracts WHERE account_number IN ($2, $3) LIMIT $1`
		args = append(args, q, strings.ToUpper(q))
	case KindPhone:
		d := phoneDigits(q)
		ids = `SELECT id FROM customers WHERE ` + phoneDigitsSQL + ` IN ($2, $3) LIMIT $1`
		args = append(args, d, "1"+d)
	case KindVIN6:
		ids = `SELECT k.customer_id FROM vehicles v JOIN contracts k ON k.vehicle_id = v.id WHERE lower(substr(v.vin, 12, 6)) = $2 LIMIT $1`
		args = append(args, strings.ToLower(q))
	case KindName:
		first, last, both := nameParts(q)
		if last == "" { // only commas and spaces
			return nil, ErrQueryShort
		}
		if both {
			ids = `SELECT id FROM customers WHERE ` + prefixSQL(e, "last_name", "$2", "$3") + ` AND ` + prefixSQL(e, "first_name", "$4", "$5") + ` LIMIT $1`
			args = append(args, last, last+prefixUpper, first, first+prefixUpper)
		} else {
			// One word: a last name or a first name.
			ids = `SELECT id FROM (SELECT id FROM customers WHERE ` + prefixSQL(e, "last_name", "$2", "$3") + ` LIMIT $1) a
				UNION SELECT id FROM (SELECT id FROM customers WHERE ` + prefixSQL(e, "first_name", "$2", "$3") + ` LIMIT $1) b`
			args = append(args, last, last+prefixUpper)
		}
	default:
		panic("casefile: unknown kind " + kind)
	}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT c.id, c.first_name, c.last_name, c.city, c.state, c.email, c.phone,
		COALESCE(k.id, 0), COALESCE(k.account_number, ''), COALESCE(k.kind, ''), COALESCE(k.state, ''),
		COALESCE(v.year, 0), COALESCE(v.make, ''), COALESCE(v.model, '')
		FROM customers c LEFT JOIN contracts k ON k.customer_id = c.id LEFT JOIN vehicles v ON v.id = k.vehicle_id
		WHERE c.id IN (`+ids+`)
		ORDER BY c.last_name, c.first_name, c.id, k.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("search customers by %s: %w", kind, err)
	}
	defer rows.Close()
	var hits []Hit
	for rows.Next() {
		var h Hit
		var first, last, email, phone string
		var a Account
		if err := rows.Scan(&h.CustomerID, &first, &last, &h.City, &h.State, &email, &phone,
			&a.ContractID, &a.Number, &a.Kind, &a.Status, &a.VehicleYear, &a.VehicleMake, &a.VehicleModel); err != nil {
			return nil, fmt.Errorf("search customers by %s: %w", kind, err)
		}
		if len(hits) == 0 || hits[len(hits)-1].CustomerID != h.CustomerID {
			if len(hits) == limit {
				break
			}
			h.Name, h.Email, h.PhoneLast4, h.MatchedBy = strings.TrimSpace(first+" "+last), MaskEmail(email), phoneLast4(phone), kind
			hits = append(hits, h)
		}
		if h := &hits[len(hits)-1]; a.ContractID != 0 && len(h.Accounts) < accountsPerHitMax {
			a.Number = callers.MaskAccount(a.Number)
			h.Accounts = append(h.Accounts, a)
		}
	}
	return hits, rows.Err()
}

// nameParts reads a name query, lower-cased: "Quinn, Ann" (last, first),
// "Ann Quinn" (first, then the rest as the last name) or one word (last
// holds it; both is false).
func nameParts(q string) (first, last string, both bool) {
	q = strings.ToLower(q)
	if l, f, ok := strings.Cut(q, ","); ok {
		f = strings.ReplaceAll(f, ",", " ")
		l, f = strings.Join(strings.Fields(l), " "), strings.Join(strings.Fields(f), " ")
		if f == "" || l == "" {
			return "", l + f, false
		}
		return f, l, true
	}
	w := strings.Fields(q)
	if len(w) == 1 {
		return "", w[0], false
	}
	return w[0], strings.Join(w[1:], " "), true
}

// MaskEmail shows an email address's first character and its domain:
// "a•••@example.com"; "" for anything else.
func MaskEmail(email string) string {
	email = strings.TrimSpace(email)
	at := strings.LastIndex(email, "@")
	if at < 1 {
		return ""
	}
	r, _ := utf8.DecodeRuneInString(email)
	return string(r) + "•••" + email[at:]
}

// phoneLast4 returns the last four digits of a phone number, or "".
func phoneLast4(phone string) string {
	d := digitsOf(phone)
	if len(d) < 4 {
		return ""
	}
	return d[len(d)-4:]
}

// digitsOf returns the ASCII digits of s.
func digitsOf(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}
