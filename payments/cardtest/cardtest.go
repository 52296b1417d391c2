// Package cardtest is carfin's built-in test card processor: a
// payments.Processor that behaves like a real one (tokens, authorizations,
// captures, voids, refunds, idempotency keys, declines and time-outs) and
// the tokenizer a card form posts to, as an http.Handler. No money moves
// and no card number is kept: tokens carry only the brand, last four
// digits, expiry and the test scenario, signed so that a made-up token is
// refused, so any carfin process can charge a token another one made.
//
// Test card numbers (any future expiry, any 3-digit CVC, 4 for Amex):
//
//	4242 4242 4242 4242   Visa credit, approved
//	5555 5555 5555 4444   Mastercard credit, approved
//	4000 0566 5566 5556   Visa debit, approved
//	3782 822463 10005     American Express, approved
//	6011 1111 1111 1117   Discover, approved
//	4000 0000 0000 0002   declined (generic)
//	4000 0000 0000 9995   declined: insufficient funds
//	4000 0000 0000 0069   declined: expired card
//	4000 0000 0000 0127   declined: incorrect CVC
//	4000 0000 0000 0408   the processor never answers (time-out)
package cardtest

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"carfin/money"
	"carfin/payments"
)

// Scenario is what a test card does when charged.
type Scenario string

const (
	Approve           Scenario = "approve"
	Decline           Scenario = "declined"
	InsufficientFunds Scenario = "insufficient_funds"
	ExpiredCard       Scenario = "expired_card"
	IncorrectCVC      Scenario = "incorrect_cvc"
	Timeout           Scenario = "timeout"
)

// testCards maps the test numbers to their brand, funding and scenario.
var testCards = map[string]struct {
	brand, funding string
	scenario       Scenario
}{
	"4242424242424242": {"visa", "credit", Approve},
	"5555555555554444": {"mastercard", "credit", Approve},
	"4000056655665556": {"visa", "debit", Approve},
	"378282246310005":  {"amex", "credit", Approve},
	"6011111111111117": {"discover", "credit", Approve},
	"4000000000000002": {"visa", "credit", Decline},
	"4000000000009995": {"visa", "credit", InsufficientFunds},
	"4000000000000069": {"visa", "credit", ExpiredCard},
	"4000000000000127": {"visa", "credit", IncorrectCVC},
	"4000000000000408": {"visa", "credit", Timeout},
}

// Card is what a customer types into the card form.
type Card struct {
	Number   string
	ExpMonth int
	ExpYear  int
	CVC      string
	Name     string
	Postal   string
}

// Call is one call made to the processor, for tests to inspect.
type Call struct {
	Op             string // "authorize", "capture", "void", "refund"
	IdempotencyKey string
	ID             string // the result's id ("" on failure)
	AmountCents    money.Cents
	Err            error
	Repeated       bool // the idempotency key was seen: the first result was returned
}

// Processor is the test processor. Its zero value is not usable; call New.
type Processor struct {
	key []byte
	// Now is the processor's clock, for expiry checks (default time.Now).
	Now func() time.Time
	// TimeoutAfter bounds how long a time-out card hangs when the caller's
	// context has no deadline (default 30 s).
	TimeoutAfter time.Duration

	mu    sync.Mutex
	calls []Call
	seen  map[string]Call // idempotency key → first result
	auths map[string]money.Cents
	caps  map[string]money.Cents
	refd  map[string]money.Cents
}

// New returns a test processor whose tokens are signed with secret (any
// bytes; processes that share tokens share the secret).
func New(secret string) *Processor {
	return &Processor{key: []byte("carfin-cardtest:" + secret), Now: time.Now, TimeoutAfter: 30 * time.Second,
		seen: map[string]Call{}, auths: map[string]money.Cents{}, caps: map[string]money.Cents{}, refd: map[string]money.Cents{}}
}

// Name is "test".
func (p *Processor) Name() string { return "test" }

// Errors of tokenization, for the card form.
var (
	ErrNumber  = errors.New("the card number is not valid")
	ErrExpiry  = errors.New("the expiry date is not valid or has passed")
	ErrCVC     = errors.New("the security code is not valid")
	ErrUnknown = errors.New("unknown card: use one of the test card numbers")
)

// Tokenize checks a card as a processor's tokenizer does (Luhn checksum,
// expiry, CVC length) and returns the token and what may be stored.
func (p *Processor) Tokenize(c Card) (payments.Card, error) {
	num := strings.NewReplacer(" ", "", "-", "").Replace(c.Number)
	if len(num) < 13 || len(num) > 19 || !digits(num) || !luhn(num) {
		return payments.Card{}, ErrNumber
	}
	tc, ok := testCards[num]
	if !ok {
		return payments.Card{}, ErrUnknown
	}
	now := p.Now()
	if c.ExpYear < 100 {
		c.ExpYear += 2000
	}
	if c.ExpMonth < 1 || c.ExpMonth > 12 || c.ExpYear > now.Year()+20 ||
		c.ExpYear < now.Year() || c.ExpYear == now.Year() && c.ExpMonth < int(now.Month()) {
		return payments.Card{}, ErrExpiry
	}
	cvcLen := 3
	if tc.brand == "amex" {
		cvcLen = 4
	}
	if len(c.CVC) != cvcLen || !digits(c.CVC) {
		return payments.Card{}, ErrCVC
	}
	card := payments.Card{Brand: tc.brand, Last4: num[len(num)-4:], ExpMonth: c.ExpMonth, ExpYear: c.ExpYear, Funding: tc.funding}
	payload := strings.Join([]string{card.Brand, card.Last4, strconv.Itoa(card.ExpMonth), strconv.Itoa(card.ExpYear), string(tc.scenario), tc.funding}, "|")
	card.Token = "tok_test_" + base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + p.sign(payload)
	return card, nil
}

func (p *Processor) sign(s string) string {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte(s))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// decode checks a token's signature and returns its card and scenario.
func (p *Processor) decode(token string) (payments.Card, Scenario, error) {
	body, sig, ok := strings.Cut(strings.TrimPrefix(token, "tok_test_"), ".")
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if !ok || !strings.HasPrefix(token, "tok_test_") || err != nil || !hmac.Equal([]byte(sig), []byte(p.sign(string(raw)))) {
		return payments.Card{}, "", fmt.Errorf("no such token: %w", payments.ErrProcessorBadRequest)
	}
	f := strings.Split(string(raw), "|")
	if len(f) != 6 {
		return payments.Card{}, "", fmt.Errorf("malformed token: %w", payments.ErrProcessorBadRequest)
	}
	m, _ := strconv.Atoi(f[2])
	y, _ := strconv.Atoi(f[3])
	return payments.Card{Token: token, Brand: f[0], Last4: f[1], ExpMonth: m, ExpYear: y, Funding: f[5]}, Scenario(f[4]), nil
}

// Card returns what may be stored about a token's card.
func (p *Processor) Card(_ context.Context, token string) (payments.Card, error) {
	c, _, err := p.decode(token)
	return c, err
}

// Authorize approves, declines or hangs according to the card's scenario.
// A repeated idempotency key returns the first result.
func (p *Processor) Authorize(ctx context.Context, r payments.AuthRequest) (payments.Authorization, error) {
	if prev, ok := p.repeat("authorize", r.IdempotencyKey); ok {
		return payments.Authorization{ID: prev.ID, AmountCents: prev.AmountCents}, prev.Err
	}
	card, sc, err := p.decode(r.Token)
	if err == nil && r.AmountCents <= 0 {
		err = fmt.Errorf("amount %s: %w", r.AmountCents, payments.ErrProcessorBadRequest)
	}
	if err != nil {
		return payments.Authorization{}, p.record(Call{Op: "authorize", IdempotencyKey: r.IdempotencyKey, AmountCents: r.AmountCents, Err: err})
	}
	now := p.Now()
	if card.ExpYear < now.Year() || card.ExpYear == now.Year() && card.ExpMonth < int(now.Month()) {
		sc = ExpiredCard
	}
	switch sc {
	case Timeout:
		// A real time-out: the caller gave up, the processor recorded
		// nothing it would honour.
		wait := p.TimeoutAfter
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		return payments.Authorization{}, fmt.Errorf("authorize: %w", payments.ErrProcessorTimeout)
	case Approve:
		id := "auth_" + shortHash(r.IdempotencyKey)
		p.mu.Lock()
		p.auths[id] = r.AmountCents
		p.mu.Unlock()
		err := p.record(Call{Op: "authorize", IdempotencyKey: r.IdempotencyKey, ID: id, AmountCents: r.AmountCents})
		return payments.Authorization{ID: id, AmountCents: r.AmountCents}, err
	}
	msg := map[Scenario]string{Decline: "The card was declined.", InsufficientFunds: "The card has insufficient funds.",
		ExpiredCard: "The card has expired.", IncorrectCVC: "The security code is incorrect."}[sc]
	return payments.Authorization{}, p.record(Call{Op: "authorize", IdempotencyKey: r.IdempotencyKey, AmountCents: r.AmountCents,
		Err: &payments.Decline{Code: string(sc), Message: msg}})
}

// Capture collects up to the authorized amount.
func (p *Processor) Capture(_ context.Context, authID string, amount money.Cents, key string) (string, error) {
	if prev, ok := p.repeat("capture", key); ok {
		return prev.ID, prev.Err
	}
	p.mu.Lock()
	held, ok := p.auths[authID]
	p.mu.Unlock()
	if !ok || amount <= 0 || amount > held {
		return "", p.record(Call{Op: "capture", IdempotencyKey: key, AmountCents: amount,
			Err: fmt.Errorf("capture %s of %s: %w", amount, authID, payments.ErrProcessorBadRequest)})
	}
	id := "cap_" + shortHash(key)
	p.mu.Lock()
	delete(p.auths, authID)
	p.caps[id] = amount
	p.mu.Unlock()
	return id, p.record(Call{Op: "capture", IdempotencyKey: key, ID: id, AmountCents: amount})
}

// Void releases an authorization.
func (p *Processor) Void(_ context.Context, authID string, key string) error {
	if prev, ok := p.repeat("void", key); ok {
		return prev.Err
	}
	p.mu.Lock()
	_, ok := p.auths[authID]
	delete(p.auths, authID)
	p.mu.Unlock()
	var err error
	if !ok {
		err = fmt.Errorf("void %s: %w", authID, payments.ErrProcessorBadRequest)
	}
	return p.record(Call{Op: "void", IdempotencyKey: key, ID: authID, Err: err})
}

// Refund returns up to the captured amount (less earlier refunds).
func (p *Processor) Refund(_ context.Context, captureID string, amount money.Cents, key string) (string, error) {
	if prev, ok := p.repeat("refund", key); ok {
		return prev.ID, prev.Err
	}
	p.mu.Lock()
	captured, ok := p.caps[captureID]
	left := captured - p.refd[captureID]
	if ok && amount > 0 && amount <= left {
		p.refd[captureID] += amount
	}
	p.mu.Unlock()
	if !ok || amount <= 0 || amount > left {
		return "", p.record(Call{Op: "refund", IdempotencyKey: key, AmountCents: amount,
			Err: fmt.Errorf("refund %s of %s: %w", amount, captureID, payments.ErrProcessorBadRequest)})
	}
	id := "re_" + shortHash(key)
	return id, p.record(Call{Op: "refund", IdempotencyKey: key, ID: id, AmountCents: amount})
}

// repeat returns the first result of a key already used for op.
func (p *Processor) repeat(op, key string) (Call, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	prev, ok := p.seen[op+"\x00"+key]
	if ok {
		prev.Repeated = true
		p.calls = append(p.calls, prev)
	}
	return prev, ok
}

// record keeps a call and returns its error.
func (p *Processor) record(c Call) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c.IdempotencyKey != "" {
		p.seen[c.Op+"\x00"+c.IdempotencyKey] = c
	}
	p.calls = append(p.calls, c)
	return c.Err
}

// Calls returns the calls made so far, oldest first.
func (p *Processor) Calls() []Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Call(nil), p.calls...)
}

// Captured returns the total captured less refunds.
func (p *Processor) Captured() money.Cents {
	p.mu.Lock()
	defer p.mu.Unlock()
	var sum money.Cents
	for id, c := range p.caps {
		sum += c - p.refd[id]
	}
	return sum
}

// Held returns the total authorized and neither captured nor voided: what
// is still held on customers' cards.
func (p *Processor) Held() money.Cents {
	p.mu.Lock()
	defer p.mu.Unlock()
	var sum money.Cents
	for _, a := range p.auths {
		sum += a
	}
	return sum
}

func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:8])
}

func digits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// luhn reports whether a card number passes the Luhn checksum.
func luhn(n string) bool {
	sum := 0
	for i := range len(n) {
		d := int(n[len(n)-1-i] - '0')
		if i%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

var _ payments.Processor = (*Processor)(nil)
