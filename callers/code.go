package callers

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"carfin/audit"
	"carfin/db"
	"carfin/notify"
)

// messages are the codes callers sends, per language: for an email the
// subject, a blank line, then the body; for a text message the body.
var messages = notify.NewCatalog(map[string]map[string]string{
	"en": {
		"caller_code":     "Your {{.Lender}} verification code\n\nYou are on the phone with {{.Lender}}. To confirm it is you, read this code to the agent: {{.Code}}\n\nIt expires in 10 minutes. If you are not on a call with us, do not share it with anyone: {{.Lender}} asks for it only on a call you are already on.\n",
		"caller_code_sms": "{{.Lender}}: read this code to the agent on your call: {{.Code}}. It expires in 10 minutes. Not on a call with us? Do not share it.",
	},
	"es": {
		"caller_code":     "Su código de verificación de {{.Lender}}\n\nEstá hablando por teléfono con {{.Lender}}. Para confirmar que es usted, lea este código al agente: {{.Code}}\n\nVence en 10 minutos. Si no está en una llamada con nosotros, no lo comparta con nadie: {{.Lender}} solo lo pide en una llamada que usted ya tiene en curso.\n",
		"caller_code_sms": "{{.Lender}}: lea este código al agente de su llamada: {{.Code}}. Vence en 10 minutos. ¿No está en una llamada con nosotros? No lo comparta.",
	},
})

// SendCode sends a one-time code for the caller of accountNumber to read
// back, by email (to the customer's online login: an address proved at
// enrolment) or by text message (to the phone on file of a customer with
// an online login, where sign-in codes go). A new code supersedes the
// staff member's earlier codes for the customer. It returns the masked
// address the code went to, for the agent to say ("j•••@example.com").
// Returns ErrNotFound, ErrNoChannel, ErrThrottled (past
// codesPerCustomerHour, or while the customer's failures are throttled),
// ErrNotStaff or ErrInvalid; nothing is sent then.
func (s *Service) SendCode(ctx context.Context, by int64, callID, accountNumber, channel string) (string, error) {
	if err := checkFields(callID, accountNumber); err != nil {
		return "", err
	}
	if channel != ChannelEmail && channel != ChannelSMS {
		return "", fmt.Errorf("%w: channel %q", ErrInvalid, channel)
	}
	var sentTo string
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := requireStaff(ctx, tx, by); err != nil {
			return err
		}
		c, err := customerOf(ctx, tx, accountNumber)
		if err != nil {
			return err
		}
		if c.id == 0 {
			return ErrNotFound
		}
		to := c.email
		if channel == ChannelSMS {
			to = c.phone
		}
		if !c.hasLogin || to == "" {
			return ErrNoChannel
		}
		if limited, err := throttled(ctx, tx, by, c.id); err != nil {
			return err
		} else if limited {
			return ErrThrottled
		}
		var sent int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM caller_codes WHERE customer_id = $1 AND created_at > $2`,
			c.id, tx.Now().Add(-time.Hour)).Scan(&sent); err != nil {
			return fmt.Errorf("count codes: %w", err)
		}
		if sent >= codesPerCustomerHour {
			return ErrThrottled
		}
		if _, err := tx.ExecContext(ctx, `UPDATE caller_codes SET used_at = $1 WHERE staff_login_id = $2 AND customer_id = $3 AND used_at IS NULL`,
			tx.Now(), by, c.id); err != nil {
			return fmt.Errorf("supersede codes: %w", err)
		}
		code := randomDigits(codeDigits)
		if _, err := tx.ExecContext(ctx, `INSERT INTO caller_codes (staff_login_id, customer_id, channel, code_hash, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, by, c.id, channel, codeHash(by, c.id, code), tx.Now(), tx.Now().Add(codeTTL)); err != nil {
			return fmt.Errorf("store code: %w", err)
		}
		vars := map[string]string{"Lender": s.lender, "Code": code}
		var m notify.Message
		if channel == ChannelSMS {
			m, err = messages.SMS(c.lang, "caller_code_sms", vars)
			sentTo = maskPhone(to)
		} else {
			m, err = messages.Email(c.lang, "caller_code", vars)
			sentTo = maskEmail(to)
		}
		if err != nil {
			return fmt.Errorf("send code: %w", err)
		}
		m.To = to
		if err := notify.Enqueue(ctx, tx, m); err != nil {
			return err
		}
		details := map[string]string{"channel": channel}
		if callID != "" {
			details["call"] = callID
		}
		return audit.Record(ctx, tx, audit.Event{Actor: "staff:" + strconv.FormatInt(by, 10), Action: "caller.code_sent",
			Subject: "customer:" + strconv.FormatInt(c.id, 10), Details: details})
	})
	if err != nil {
		return "", err
	}
	return sentTo, nil
}

// CheckCode checks the code the caller of accountNumber read back
// against the newest live code the staff member by sent (within codeTTL
// and codeAttemptsMax tries), records the attempt and audits it. It
// returns the passed Verification, or ErrNotVerified (recorded: an
// unknown account, no live code, a wrong code), ErrThrottled (recorded,
// code not checked), ErrNotStaff or ErrInvalid (nothing recorded).
func (s *Service) CheckCode(ctx context.Context, by int64, callID, accountNumber, code string) (Verification, error) {
	if err := checkFields(callID, accountNumber, code); err != nil {
		return Verification{}, err
	}
	code = strings.TrimSpace(code)
	return s.attempt(ctx, by, callID, accountNumber, MethodCode, func(tx *db.Tx, c customer) (bool, error) {
		return useCode(ctx, tx, by, c.id, code)
	})
}

// useCode checks code against the live code for the call and spends a try
// or, when it matches, the code. It reports whether it matched.
func useCode(ctx context.Context, tx *db.Tx, by, customerID int64, code string) (bool, error) {
	var id int64
	var hash string
	err := tx.QueryRowContext(ctx, `SELECT id, code_hash FROM caller_codes
		WHERE staff_login_id = $1 AND customer_id = $2 AND used_at IS NULL AND expires_at > $3 AND attempts < $4
		ORDER BY id DESC LIMIT 1`, by, customerID, tx.Now(), codeAttemptsMax).Scan(&id, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read code: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(hash), []byte(codeHash(by, customerID, code))) != 1 {
		if _, err := tx.ExecContext(ctx, `UPDATE caller_codes SET attempts = attempts + 1 WHERE id = $1`, id); err != nil {
			return false, fmt.Errorf("count code try: %w", err)
		}
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE caller_codes SET used_at = $1 WHERE id = $2`, tx.Now(), id); err != nil {
		return false, fmt.Errorf("use code: %w", err)
	}
	return true, nil
}

func randomDigits(n int) string {
	limit := big.NewInt(1)
	for range n {
		limit.Mul(limit, big.NewInt(10))
	}
	v, err := rand.Int(rand.Reader, limit)
	if err != nil {
		panic(fmt.Sprintf("callers: crypto/rand: %v", err)) // crypto/rand never fails
	}
	return fmt.Sprintf("%0*d", n, v)
}

// maskEmail keeps the first character of the local part and the domain.
func maskEmail(email string) string {
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" {
		return "•••"
	}
	return string([]rune(local)[:1]) + "•••@" + domain
}

// maskPhone keeps the last four digits.
func maskPhone(phone string) string {
	if len(phone) <= 4 {
		return "•••"
	}
	return "•••-" + phone[len(phone)-4:]
}
