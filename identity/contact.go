package identity

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"carfin/audit"
	"carfin/db"
	"carfin/notify"
)

// A customer changes the email address (the username) or the mobile phone
// (where sign-in and reset codes go) from the profile:
//
//   - The change needs a recent authentication (ReauthWindow): these are
//     the account's recovery channels.
//   - A code goes to the NEW address or number; the change happens only
//     when the customer types it back, within contactCodeTTL and
//     codeAttemptsMax tries. Until then nothing changes: the username is
//     still the old email.
//   - An address that another login already uses gets a note saying so
//     instead of a code, and the page answers the same, so the form
//     cannot be used to learn who has online access.
//   - After an email change the OLD address gets a security alert with a
//     link that undoes it (emailRevertTTL): it restores the old address,
//     ends every session and asks for a new password, because whoever
//     changed it may have had the password. After a phone change the email
//     gets the usual security alert ("this wasn't me").
//   - Every step is audited; the customers record (the lender's) and the
//     login change together.
//
// Pending changes are rows of contact_changes holding the new value and
// only the SHA-256 of the code.

// Contact change limits.
const (
	contactCodeDigits = 6
	contactCodeTTL    = 15 * time.Minute
	// contactCodesPerHour: codes sent to new addresses and numbers per login
	// and hour (an SMS costs the lender money; mail bombing).
	contactCodesPerHour = 5
	emailRevertTTL      = 7 * 24 * time.Hour
	phoneBytesMax       = 32
)

// Contact kinds.
const (
	ContactEmail = "email"
	ContactPhone = "phone"
)

// Errors of contact changes.
var (
	// ErrInvalidEmail is not an email address.
	ErrInvalidEmail = errors.New("not an email address")
	// ErrInvalidPhone is not a US phone number.
	ErrInvalidPhone = errors.New("not a US phone number")
	// ErrSameContact is the address or number already on file.
	ErrSameContact = errors.New("already on file")
	// ErrEmailTaken is an address another login uses (told only to whoever
	// proved they own it).
	ErrEmailTaken = errors.New("email address in use")
)

// NormalizeContactEmail returns email trimmed and lower-cased, or
// ErrInvalidEmail when it is not a plain address (no name, no comments)
// with a dotted domain, or longer than 254 bytes.
func NormalizeContactEmail(email string) (string, error) {
	e := NormalizeEmail(email)
	if e == "" || len(e) > emailBytesMax {
		return "", ErrInvalidEmail
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" {
		return "", ErrInvalidEmail
	}
	at := strings.LastIndexByte(e, '@')
	domain := e[at+1:]
	if at < 1 || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.ContainsAny(e, " \"()<>[]\\,;") {
		return "", ErrInvalidEmail
	}
	return e, nil
}

// NormalizePhone returns a US (NANP) phone number in E.164, +1NXXNXXXXXX,
// from the ways people write one ("(555) 201-0123", "555.201.0123",
// "+1 555 201 0123"). Returns ErrInvalidPhone otherwise: area code and
// exchange start with 2–9, and the area code is not N11 (ATIS-0300051).
func NormalizePhone(phone string) (string, error) {
	if len(phone) > phoneBytesMax {
		return "", ErrInvalidPhone
	}
	var d strings.Builder
	for i, r := range strings.TrimSpace(phone) {
		switch {
		case r >= '0' && r <= '9':
			d.WriteRune(r)
		case r == '+' && i == 0, r == ' ', r == '-', r == '.', r == '(', r == ')':
		default:
			return "", ErrInvalidPhone
		}
	}
	digits := d.String()
	if len(digits) == 11 && digits[0] == '1' {
		digits = digits[1:]
	}
	if len(digits) != 10 || digits[0] < '2' || digits[3] < '2' || digits[1:3] == "11" {
		return "", ErrInvalidPhone
	}
	return "+1" + digits, nil
}

// PendingContact is a change waiting for its code.
type PendingContact struct {
	Kind      string
	Value     string
	ExpiresAt time.Time
}

// PendingContactChange returns the login's live change of kind, or nil.
func (s *Service) PendingContactChange(ctx context.Context, loginID int64, kind string) (*PendingContact, error) {
	p := PendingContact{Kind: kind}
	err := s.db.Read.QueryRowContext(ctx, `SELECT value, expires_at FROM contact_changes
		WHERE login_id = $1 AND kind = $2 AND used_at IS NULL AND expires_at > $3 AND attempts < $4 ORDER BY id DESC LIMIT 1`,
		loginID, kind, s.now(), codeAttemptsMax).Scan(&p.Value, &p.ExpiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read pending %s change: %w", kind, err)
	}
	return &p, nil
}

func contactCodeHash(loginID int64, kind, value, code string) string {
	return hashToken("contact_"+kind, fmt.Sprintf("%d:%s:%s", loginID, value, code))
}

// startContactChange supersedes the login's pending changes of kind and
// stores a new one with code; it counts against contactCodesPerHour
// (ErrThrottled).
func (s *Service) startContactChange(ctx context.Context, tx *db.Tx, l *Login, kind, value, code string) error {
	var sent int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM contact_changes WHERE login_id = $1 AND kind IN ('email', 'phone') AND created_at > $2`,
		l.ID, tx.Now().Add(-time.Hour)).Scan(&sent); err != nil {
		return fmt.Errorf("count contact changes: %w", err)
	}
	if sent >= contactCodesPerHour {
		return ErrThrottled
	}
	if _, err := tx.ExecContext(ctx, `UPDATE contact_changes SET used_at = $1 WHERE login_id = $2 AND kind = $3 AND used_at IS NULL`,
		tx.Now(), l.ID, kind); err != nil {
		return fmt.Errorf("supersede %s changes: %w", kind, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO contact_changes (login_id, kind, value, secret_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		l.ID, kind, value, contactCodeHash(l.ID, kind, value, code), tx.Now(), tx.Now().Add(contactCodeTTL)); err != nil {
		return fmt.Errorf("store %s change: %w", kind, err)
	}
	return nil
}

// customerLogin checks that the session belongs to a customer.
func customerLogin(ss *Session) (*Login, error) {
	if ss.Login == nil || ss.Login.Realm != Customer || ss.Login.CustomerID == 0 {
		return nil, ErrNotFound
	}
	return ss.Login, nil
}

// RequestEmailChange sends a code to newEmail for the signed-in customer
// of token, or, when another login uses that address, a note saying so
// (the caller answers the same either way). Returns ErrReauth without a
// recent authentication, ErrInvalidEmail, ErrSameContact, ErrThrottled.
func (s *Service) RequestEmailChange(ctx context.Context, token, newEmail string, c Client) error {
	email, err := NormalizeContactEmail(newEmail)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		ss, err := s.requireRecent(ctx, tx, token)
		if err != nil {
			return err
		}
		l, err := customerLogin(ss)
		if err != nil {
			return err
		}
		if email == l.Email {
			return ErrSameContact
		}
		var taken int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM logins WHERE realm = 'customer' AND email = $1`, email).Scan(&taken); err != nil {
			return fmt.Errorf("check email: %w", err)
		}
		code := randomDigits(contactCodeDigits)
		// A taken address gets a pending change too, whose code is never
		// sent: the page cannot tell the two cases apart.
		if err := s.startContactChange(ctx, tx, l, ContactEmail, email, code); err != nil {
			return err
		}
		result := "sent"
		if taken > 0 {
			result = "in_use"
		}
		if err := audit.Record(ctx, tx, audit.Event{Actor: loginSubject(l.ID), Action: "contact.email_change_request", Subject: loginSubject(l.ID), IP: c.IP,
			Details: map[string]string{"new": email, "result": result}}); err != nil {
			return err
		}
		if taken > 0 {
			return s.sendContact(ctx, tx, notify.Email, email, "email_in_use", c.Lang, map[string]string{"Login": s.link("/login", nil), "Forgot": s.link("/forgot", nil)})
		}
		return s.sendContact(ctx, tx, notify.Email, email, "email_change_code", c.Lang, map[string]string{"Name": l.DisplayName, "Code": code})
	})
}

// RequestPhoneChange texts a code to newPhone for the signed-in customer
// of token. Returns ErrReauth without a recent authentication,
// ErrInvalidPhone, ErrSameContact, ErrThrottled.
func (s *Service) RequestPhoneChange(ctx context.Context, token, newPhone string, c Client) error {
	phone, err := NormalizePhone(newPhone)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		ss, err := s.requireRecent(ctx, tx, token)
		if err != nil {
			return err
		}
		l, err := customerLogin(ss)
		if err != nil {
			return err
		}
		if phone == l.Phone {
			return ErrSameContact
		}
		code := randomDigits(contactCodeDigits)
		if err := s.startContactChange(ctx, tx, l, ContactPhone, phone, code); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.Event{Actor: loginSubject(l.ID), Action: "contact.phone_change_request", Subject: loginSubject(l.ID), IP: c.IP,
			Details: map[string]string{"new": phone}}); err != nil {
			return err
		}
		return s.sendContact(ctx, tx, notify.SMS, phone, "phone_change_code", c.Lang, map[string]string{"Code": code})
	})
}

// confirmContact spends the code of the login's pending change of kind
// and returns the new value. A wrong code spends one of codeAttemptsMax
// tries (committed: the caller returns ErrInvalidCode after the commit,
// via wrong). Returns ErrNotFound when no change is pending.
func (s *Service) confirmContact(ctx context.Context, tx *db.Tx, l *Login, kind, code string, wrong *bool) (string, error) {
	var id int64
	var value, hash string
	err := tx.QueryRowContext(ctx, `SELECT id, value, secret_hash FROM contact_changes
		WHERE login_id = $1 AND kind = $2 AND used_at IS NULL AND expires_at > $3 AND attempts < $4 ORDER BY id DESC LIMIT 1`,
		l.ID, kind, tx.Now(), codeAttemptsMax).Scan(&id, &value, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("read pending %s change: %w", kind, err)
	}
	code = strings.Join(strings.Fields(code), "")
	if subtle.ConstantTimeCompare([]byte(contactCodeHash(l.ID, kind, value, code)), []byte(hash)) != 1 {
		if _, err := tx.ExecContext(ctx, `UPDATE contact_changes SET attempts = attempts + 1 WHERE id = $1`, id); err != nil {
			return "", fmt.Errorf("count %s code attempt: %w", kind, err)
		}
		*wrong = true
		return "", nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE contact_changes SET used_at = $1 WHERE id = $2`, tx.Now(), id); err != nil {
		return "", fmt.Errorf("use %s change: %w", kind, err)
	}
	return value, nil
}

// ConfirmEmailChange changes the signed-in customer's email (username and
// the lender's record) to the pending address when code is the one sent
// there, and alerts the old address with a link that undoes it. Returns
// the new address, or ErrInvalidCode, ErrNotFound (nothing pending, or
// the tries are spent), ErrEmailTaken, ErrNoSession.
func (s *Service) ConfirmEmailChange(ctx context.Context, token, code string, c Client) (string, error) {
	var email string
	wrong := false
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		wrong = false
		ss, err := s.sessionInTx(ctx, tx, token, LevelFull)
		if err != nil {
			return err
		}
		l, err := customerLogin(ss)
		if err != nil {
			return err
		}
		if email, err = s.confirmContact(ctx, tx, l, ContactEmail, code, &wrong); err != nil || wrong {
			return err
		}
		err = tx.Savepoint(ctx, "email_change", func() error {
			_, err := tx.ExecContext(ctx, `UPDATE logins SET email = $1 WHERE id = $2`, email, l.ID)
			return err
		})
		if db.IsUniqueViolation(err) {
			return ErrEmailTaken
		}
		if err != nil {
			return fmt.Errorf("change login email: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE customers SET email = $1 WHERE id = $2`, email, l.CustomerID); err != nil {
			return fmt.Errorf("change customer email: %w", err)
		}
		revert := randomToken()
		if _, err := tx.ExecContext(ctx, `INSERT INTO contact_changes (login_id, kind, value, secret_hash, created_at, expires_at) VALUES ($1, 'email_revert', $2, $3, $4, $5)`,
			l.ID, l.Email, hashToken("email_revert", revert), tx.Now(), tx.Now().Add(emailRevertTTL)); err != nil {
			return fmt.Errorf("store email revert link: %w", err)
		}
		if err := audit.Record(ctx, tx, audit.Event{Actor: loginSubject(l.ID), Action: "contact.email_change", Subject: loginSubject(l.ID), IP: c.IP,
			Details: map[string]string{"old": l.Email, "new": email}}); err != nil {
			return err
		}
		return s.sendContact(ctx, tx, notify.Email, l.Email, "email_changed", c.Lang, map[string]string{"Name": l.DisplayName, "New": email,
			"When": s.moment(c.Lang, tx.Now()), "Revert": s.link("/email-revert", map[string][]string{"token": {revert}})})
	})
	if err == nil && wrong {
		err = ErrInvalidCode
	}
	return email, err
}

// ConfirmPhoneChange changes the signed-in customer's phone on file to
// the pending number when code is the one texted there, and sends the
// email a security alert. Returns the new number, or ErrInvalidCode,
// ErrNotFound (nothing pending, or the tries are spent), ErrNoSession.
func (s *Service) ConfirmPhoneChange(ctx context.Context, token, code string, c Client) (string, error) {
	var phone string
	wrong := false
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		wrong = false
		ss, err := s.sessionInTx(ctx, tx, token, LevelFull)
		if err != nil {
			return err
		}
		l, err := customerLogin(ss)
		if err != nil {
			return err
		}
		if phone, err = s.confirmContact(ctx, tx, l, ContactPhone, code, &wrong); err != nil || wrong {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE customers SET phone = $1 WHERE id = $2`, phone, l.CustomerID); err != nil {
			return fmt.Errorf("change phone: %w", err)
		}
		if err := audit.Record(ctx, tx, audit.Event{Actor: loginSubject(l.ID), Action: "contact.phone_change", Subject: loginSubject(l.ID), IP: c.IP,
			Details: map[string]string{"old": l.Phone, "new": phone}}); err != nil {
			return err
		}
		change := fmt.Sprintf(contactChangeNames[msgLang(c.Lang)], maskPhone(phone))
		return s.alert(ctx, tx, l, "security_change", c, map[string]string{"Change": change})
	})
	if err == nil && wrong {
		err = ErrInvalidCode
	}
	return phone, err
}

// contactChangeNames are the words for a phone change in the alert.
var contactChangeNames = map[string]string{
	"en": "your mobile phone number was changed to one ending in %s",
	"es": "se cambió su número de teléfono móvil a uno que termina en %s",
}

func maskPhone(p string) string {
	if len(p) < 4 {
		return p
	}
	return p[len(p)-4:]
}

// CheckEmailRevert reports whether an email-revert link is valid, without
// spending it (for the page it opens). Returns ErrInvalidToken.
func (s *Service) CheckEmailRevert(ctx context.Context, token string) error {
	if token == "" || len(token) > 64 {
		return ErrInvalidToken
	}
	var n int
	if err := s.db.Read.QueryRowContext(ctx, `SELECT count(*) FROM contact_changes WHERE secret_hash = $1 AND kind = 'email_revert'
		AND used_at IS NULL AND expires_at > $2`, hashToken("email_revert", token), s.now()).Scan(&n); err != nil {
		return fmt.Errorf("check email revert link: %w", err)
	}
	if n == 0 {
		return ErrInvalidToken
	}
	return nil
}

// RevertEmailChange undoes an email change with the link sent to the old
// address: the old address is the username again, every session and
// remembered device ends, the password stops working, pending changes
// are dropped, and a reset link goes to the old address. Returns
// ErrInvalidToken, or ErrEmailTaken when another login took the old
// address meanwhile.
func (s *Service) RevertEmailChange(ctx context.Context, token string, c Client) error {
	if token == "" || len(token) > 64 {
		return ErrInvalidToken
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		var id, loginID int64
		var old string
		err := tx.QueryRowContext(ctx, `SELECT id, login_id, value FROM contact_changes WHERE secret_hash = $1 AND kind = 'email_revert'
			AND used_at IS NULL AND expires_at > $2`, hashToken("email_revert", token), tx.Now()).Scan(&id, &loginID, &old)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrInvalidToken
		}
		if err != nil {
			return fmt.Errorf("read email revert link: %w", err)
		}
		l, err := loginByID(ctx, tx, loginID)
		if err != nil {
			return err
		}
		err = tx.Savepoint(ctx, "email_revert", func() error {
			_, err := tx.ExecContext(ctx, `UPDATE logins SET email = $1, password_hash = '' WHERE id = $2`, old, loginID)
			return err
		})
		if db.IsUniqueViolation(err) {
			return ErrEmailTaken
		}
		if err != nil {
			return fmt.Errorf("restore login email: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE customers SET email = $1 WHERE id = $2`, old, l.CustomerID); err != nil {
			return fmt.Errorf("restore customer email: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE contact_changes SET used_at = $1 WHERE login_id = $2 AND used_at IS NULL`, tx.Now(), loginID); err != nil {
			return fmt.Errorf("drop pending changes: %w", err)
		}
		if err := revokeSessions(ctx, tx, loginID, 0, EndWasntMe); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE known_devices SET trusted_until = NULL WHERE login_id = $1`, loginID); err != nil {
			return fmt.Errorf("forget devices: %w", err)
		}
		if err := audit.Record(ctx, tx, audit.Event{Actor: loginSubject(loginID), Action: "contact.email_revert", Subject: loginSubject(loginID), IP: c.IP,
			Details: map[string]string{"from": l.Email, "to": old}}); err != nil {
			return err
		}
		l.Email = old
		return s.sendReset(ctx, tx, l, c)
	})
}

// contactTexts are the messages of contact changes, per language, as in
// messageTexts (subject, blank line, body; an SMS has no subject).
var contactTexts = map[string]map[string]string{
	"en": {
		"email_change_code": "Confirm your new email address for {{.Lender}}\n\nHello {{.Name}},\n\nYour code to confirm this email address is {{.Code}}. Type it on the page where you asked for it, within 15 minutes. Never share it: {{.Lender}} will never ask you for it.\n\nIf you did not ask for this, ignore this email: nothing changes.\n",
		"email_in_use":      "Your email address and {{.Lender}}\n\nSomeone asked to use this email address for a {{.Lender}} online account, but it already belongs to one. Nothing was changed. Sign in at {{.Login}}, or reset your password at {{.Forgot}}.\n\nIf this was not you, no action is needed.\n",
		"email_changed":     "Your {{.Lender}} email address was changed\n\nHello {{.Name}},\n\nOn {{.When}} the email address of your {{.Lender}} account was changed to {{.New}}. From now on you sign in with the new address, and we write to it.\n\nIf you made this change, no action is needed.\n\nIf you did not, open this link within 7 days: we will change the address back to this one, sign out every device and ask you to choose a new password.\n{{.Revert}}\n",
		"phone_change_code": "\n\n{{.Lender}}: your code to confirm this phone number is {{.Code}}. It expires in 15 minutes. Never share it.",
	},
	"es": {
		"email_change_code": "Confirme su nuevo correo electrónico para {{.Lender}}\n\nHola, {{.Name}}:\n\nSu código para confirmar este correo electrónico es {{.Code}}. Escríbalo en la página donde lo pidió, en los próximos 15 minutos. No lo comparta: {{.Lender}} nunca se lo pedirá.\n\nSi no lo pidió, ignore este correo: nada cambia.\n",
		"email_in_use":      "Su correo electrónico y {{.Lender}}\n\nAlguien pidió usar este correo electrónico para una cuenta en línea de {{.Lender}}, pero ya pertenece a una. No se cambió nada. Inicie sesión en {{.Login}} o restablezca su contraseña en {{.Forgot}}.\n\nSi no fue usted, no tiene que hacer nada.\n",
		"email_changed":     "Se cambió su correo electrónico en {{.Lender}}\n\nHola, {{.Name}}:\n\nEl {{.When}} se cambió el correo electrónico de su cuenta de {{.Lender}} a {{.New}}. Desde ahora inicia sesión con la nueva dirección y le escribimos a ella.\n\nSi hizo usted este cambio, no tiene que hacer nada.\n\nSi no, abra este enlace en los próximos 7 días: volveremos a poner esta dirección, cerraremos la sesión en todos los dispositivos y le pediremos una contraseña nueva.\n{{.Revert}}\n",
		"phone_change_code": "\n\n{{.Lender}}: su código para confirmar este número de teléfono es {{.Code}}. Vence en 15 minutos. No lo comparta.",
	},
}

// sendContact queues a contact-change message in tx.
func (s *Service) sendContact(ctx context.Context, tx *db.Tx, ch notify.Channel, to, kind, lang string, vars map[string]string) error {
	m, err := s.message(ch, to, kind, lang, vars)
	if err != nil {
		return err
	}
	return notify.Enqueue(ctx, tx, m)
}
