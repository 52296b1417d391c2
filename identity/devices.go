package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"carfin/audit"
	"carfin/db"
	"carfin/devices"
)

// deviceTrusted reports whether the device cookie belongs to a device the
// login chose to remember, within RememberDevice.
func (s *Service) deviceTrusted(ctx context.Context, tx *db.Tx, loginID int64, device string) (bool, error) {
	if device == "" || len(device) > 64 {
		return false, nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM known_devices WHERE login_id = $1 AND device_hash = $2 AND trusted_until > $3`,
		loginID, hashToken("device", device), tx.Now()).Scan(&n); err != nil {
		return false, fmt.Errorf("read device: %w", err)
	}
	return n > 0, nil
}

// seeDevice records a sign-in from a device. A login's first device is
// taken as known; afterwards a device never seen before, or a place
// (country) never seen before, sends the owner an alert with a "this
// wasn't me" link. With remember, the device skips the second factor for
// RememberDevice.
func (s *Service) seeDevice(ctx context.Context, tx *db.Tx, l *Login, c Client, remember bool) error {
	if c.Device == "" {
		return nil
	}
	dh := hashToken("device", c.Device)
	place := s.locate(c.IP)
	now := tx.Now()
	var known, devicesSeen, samePlace int
	err := tx.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM known_devices WHERE login_id = $1 AND device_hash = $2),
		(SELECT count(*) FROM known_devices WHERE login_id = $1),
		(SELECT count(*) FROM known_devices WHERE login_id = $1 AND place = $3)`, l.ID, dh, place).Scan(&known, &devicesSeen, &samePlace)
	if err != nil {
		return fmt.Errorf("read devices: %w", err)
	}
	var trusted any
	if remember {
		trusted = now.Add(RememberDevice)
	}
	if known == 0 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO known_devices (login_id, device_hash, place, user_agent, first_seen_at, last_seen_at, trusted_until)
			VALUES ($1, $2, $3, $4, $5, $5, $6)`, l.ID, dh, place, clipUA(c.UserAgent), now, trusted); err != nil {
			return fmt.Errorf("add device: %w", err)
		}
	} else {
		q := `UPDATE known_devices SET last_seen_at = $1, place = $2 WHERE login_id = $3 AND device_hash = $4`
		args := []any{now, place, l.ID, dh}
		if remember {
			q = `UPDATE known_devices SET last_seen_at = $1, place = $2, trusted_until = $5 WHERE login_id = $3 AND device_hash = $4`
			args = append(args, trusted)
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("update device: %w", err)
		}
	}
	why := ""
	switch {
	case devicesSeen == 0:
		// The first device of a login is where it was created.
	case known == 0:
		why = "new_device"
	case place != "" && samePlace == 0:
		why = "new_place"
	}
	if why == "" {
		return nil
	}
	if err := audit.Record(ctx, tx, audit.Event{Actor: "system", Action: "login.alert", Subject: loginSubject(l.ID), IP: c.IP,
		Details: map[string]string{"why": why, "place": place}}); err != nil {
		return err
	}
	lang := msgLang(c.Lang)
	return s.alert(ctx, tx, l, "login_alert", c, map[string]string{"Device": devices.Describe(lang, c.UserAgent), "Place": placeOr(lang, place), "IP": c.IP})
}

// placeOr is a place for an alert in lang, or the word for unknown.
func placeOr(lang, p string) string {
	if p == "" {
		return map[string]string{"en": "unknown", "es": "desconocido"}[lang]
	}
	return p
}

// alert emails the owner about a security event, with a "this wasn't me"
// link valid for wasntMeTTL.
func (s *Service) alert(ctx context.Context, tx *db.Tx, l *Login, kind string, c Client, vars map[string]string) error {
	token, err := s.newToken(ctx, tx, "wasnt_me", l.ID, 0, wasntMeTTL, false)
	if err != nil {
		return err
	}
	if vars == nil {
		vars = map[string]string{}
	}
	vars["Name"] = l.DisplayName
	vars["WasntMe"] = s.link("/wasnt-me", map[string][]string{"token": {token}})
	vars["When"] = s.moment(c.Lang, tx.Now())
	return s.send(ctx, tx, l.Email, kind, c.Lang, vars)
}

// WasntMe is the owner's answer to an alert: every session and remembered
// device is revoked, the password is invalidated (sign-in is impossible
// until it is reset, by passkey too), the second factors set up since the
// alerted sign-in or change are removed (an intruder's passkey or
// authenticator app, recovery codes they saw), and a reset link is
// emailed. Returns
// ErrInvalidToken for an unknown, used or expired link.
func (s *Service) WasntMe(ctx context.Context, token string, c Client) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		loginID, _, err := s.useToken(ctx, tx, "wasnt_me", token)
		if err != nil {
			return err
		}
		l, err := loginByID(ctx, tx, loginID)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrInvalidToken
		}
		if err != nil {
			return err
		}
		if err := revokeSessions(ctx, tx, loginID, 0, EndWasntMe); err != nil {
			return err
		}
		removed, err := removeFactorsSince(ctx, tx, loginID, token)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE known_devices SET trusted_until = NULL WHERE login_id = $1`, loginID); err != nil {
			return fmt.Errorf("forget devices: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE logins SET password_hash = '' WHERE id = $1`, loginID); err != nil {
			return fmt.Errorf("invalidate password: %w", err)
		}
		if err := s.supersede(ctx, tx, "wasnt_me", loginID, 0); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.Event{Actor: loginSubject(loginID), Action: "login.wasnt_me", Subject: loginSubject(loginID), IP: c.IP,
			Details: removed}); err != nil {
			return err
		}
		return s.sendReset(ctx, tx, l, c)
	})
}

// removeFactorsSince removes the passkeys, authenticator app and recovery
// codes a login gained at or after the moment of the oldest alert not yet
// answered (its wasnt_me token: the sign-in or change the alert reported;
// a change's alert is written in the change's own transaction, so at the
// same instant), and returns how many of each, for the audit event.
func removeFactorsSince(ctx context.Context, tx *db.Tx, loginID int64, token string) (map[string]string, error) {
	// From the oldest alert still unanswered (or this one): the owner may
	// click the newest email of several, and an intruder's earlier change
	// must go too, since this click ends every other link.
	var since time.Time
	// (ORDER BY, not MIN: SQLite's aggregate would lose the column's type.)
	if err := tx.QueryRowContext(ctx, `SELECT created_at FROM one_time_tokens WHERE login_id = $1 AND purpose = 'wasnt_me'
		AND (token_hash = $2 OR (used_at IS NULL AND expires_at > $3)) ORDER BY created_at LIMIT 1`,
		loginID, hashToken("wasnt_me", token), tx.Now()).Scan(&since); err != nil {
		return nil, fmt.Errorf("alert time: %w", err)
	}
	out := map[string]string{}
	for _, q := range []struct{ name, sql string }{
		{"passkeys_removed", `DELETE FROM passkeys WHERE login_id = $1 AND created_at >= $2`},
		{"totp_removed", `UPDATE logins SET totp_secret = '', totp_key_id = '', totp_cipher = NULL, totp_enabled = 0, totp_enabled_at = NULL
			WHERE id = $1 AND totp_enabled_at >= $2`},
		{"recovery_codes_removed", `DELETE FROM recovery_codes WHERE login_id = $1 AND created_at >= $2`},
	} {
		r, err := tx.ExecContext(ctx, q.sql, loginID, since)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", q.name, err)
		}
		if n, _ := r.RowsAffected(); n > 0 {
			out[q.name] = strconv.FormatInt(n, 10)
		}
	}
	return out, nil
}
