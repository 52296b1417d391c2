package main

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"carfin/db"
	"carfin/db/dbtest"
)

// The second step of sign-in under attack (issue 11, item 1): someone who
// knows the password guesses codes. Every outcome is exact, on both
// engines, over HTTP.

// withTOTP seeds a customer with online access, turns on an
// authenticator app from ip and signs out; it returns the customer and
// the app's secret.
func withTOTP(t *testing.T, s *server, first, ip string) (customer, string) {
	t.Helper()
	return withTOTPFor(t, s, seedLogin(t, s, first), ip)
}

// withTOTPFor turns on an authenticator app for c (see withTOTP).
func withTOTPFor(t *testing.T, s *server, c customer, ip string) (customer, string) {
	t.Helper()
	b := s.browser(ip)
	b.mustSignIn(c.email, testPassword)
	secret, _ := enableTOTP(t, b)
	b.post("/logout", url.Values{})
	s.clock.Add(time.Minute) // the setup's code is spent
	return c, secret
}

// wrongCode is a 6-digit code that the app does not show now, nor one
// step before or after (the steps the server accepts).
func wrongCode(t *testing.T, secret string, now time.Time) string {
	t.Helper()
	right := map[string]bool{}
	for _, k := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
		right[totpCode(t, secret, now.Add(k))] = true
	}
	for n := 100000; ; n++ {
		if c := fmt.Sprint(n); !right[c] {
			return c
		}
	}
}

// guess posts an authenticator code on the second step.
func guess(b *browser, code string) response {
	b.t.Helper()
	return b.post("/login/2fa", url.Values{"method": {"totp"}, "code": {code}})
}

func factorState(t *testing.T, d *db.DB, email string) (failed, factor int) {
	t.Helper()
	if err := d.Read.QueryRow(`SELECT failed_count, factor_failures FROM logins WHERE email = $1`, email).Scan(&failed, &factor); err != nil {
		t.Fatal(err)
	}
	return failed, factor
}

// TestSecondFactorLockout: wrong codes count like wrong passwords. Five
// end a partial sign-in; the count carries over to the next password
// (which no longer resets it), with the same growing delay; the tenth
// consecutive failure locks the account, emails the owner a link to a
// new password, and the lock holds against the right password and
// against the right code in a partial sign-in started before it.
func TestSecondFactorLockout(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d)
		c, secret := withTOTP(t, s, "Gus", "198.51.100.30")
		att := s.browser("203.0.113.40")
		att.login(c.email, testPassword).must(t, 200, "Confirm it is you")
		for i := range 4 {
			guess(att, wrongCode(t, secret, s.clock.Now())).must(t, 401, "That code is not right")
			if f, _ := factorState(t, d, c.email); f != i+1 {
				t.Fatalf("after %d wrong codes the failure count is %d", i+1, f)
			}
		}
		guess(att, wrongCode(t, secret, s.clock.Now())).must(t, 200, "Start again") // the fifth ends the partial sign-in

		// The next password, right but inside the delay the five failures
		// started (1 s), is refused as a wrong one would be; it resets nothing.
		att.login(c.email, testPassword).must(t, 401, "The email address or password is not right")
		if f, ff := factorState(t, d, c.email); f != 5 || ff != 5 {
			t.Fatalf("after a right password: failures %d, factor failures %d; want 5, 5", f, ff)
		}
		s.clock.Add(2 * time.Second)
		att.login(c.email, testPassword).must(t, 200, "Confirm it is you")
		// A partial sign-in of the attacker's, open before the lock.
		early := s.browser("203.0.113.41")
		early.login(c.email, testPassword).must(t, 200, "Confirm it is you")

		guess(att, wrongCode(t, secret, s.clock.Now())).must(t, 401) // 6: delay 2 s
		r := guess(att, wrongCode(t, secret, s.clock.Now()))
		r.must(t, 429, "Too many attempts")
		if f, _ := factorState(t, d, c.email); f != 6 {
			t.Fatalf("an attempt inside the delay was counted: %d", f)
		}
		for _, wait := range []time.Duration{3 * time.Second, 5 * time.Second, 9 * time.Second} { // 7, 8, 9
			s.clock.Add(wait)
			guess(att, wrongCode(t, secret, s.clock.Now())).must(t, 401)
		}
		if n := s.count("identity.unlock_factor", c.email); n != 0 {
			t.Fatalf("%d lock emails before the lock", n)
		}
		s.clock.Add(17 * time.Second)
		guess(early, wrongCode(t, secret, s.clock.Now())).must(t, 401) // 10: locked
		if n := s.auditCount("login.locked"); n != 1 {
			t.Fatalf("%d lock events, want 1", n)
		}
		if n := s.count("identity.unlock_factor", c.email); n != 1 {
			t.Fatalf("%d lock emails to the owner, want 1", n)
		}
		mail := s.mail(c.email)
		text := mail[len(mail)-1].Message.Text
		if !strings.Contains(text, "knows your password") || !strings.Contains(text, "/reset?token=") {
			t.Errorf("lock email does not tell the owner to change the password:\n%s", text)
		}

		// The lock holds: the right code in the partial sign-in open
		// before it, and the right password from anywhere.
		s.clock.Add(time.Minute)
		r = guess(early, totpCode(t, secret, s.clock.Now()))
		if strings.Contains(r.body, "Welcome, Gus") {
			t.Fatal("the right code signed in through a lock")
		}
		s.browser("198.51.100.30").login(c.email, testPassword).must(t, 401)

		// After the lock, the owner signs in; the counts start again.
		s.clock.Add(31 * time.Minute)
		owner := s.browser("198.51.100.30")
		owner.login(c.email, testPassword).must(t, 200, "Confirm it is you")
		guess(owner, totpCode(t, secret, s.clock.Now())).must(t, 200, "Welcome, Gus")
		if f, ff := factorState(t, d, c.email); f != 0 || ff != 0 {
			t.Errorf("after a completed sign-in: failures %d, factor failures %d", f, ff)
		}
		verifyAudit(t, d)
	})
}

// TestSecondFactorCodesBound: an emailed sign-in code works only in the
// partial sign-in it was sent to, and dies with it after five wrong tries.
func TestSecondFactorCodesBound(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d)
		c, _ := withTOTP(t, s, "Ida", "198.51.100.31")
		lastCode := func() string {
			t.Helper()
			mail := s.mail(c.email)
			text := mail[len(mail)-1].Message.Text
			i := strings.Index(text, "code is ")
			if mail[len(mail)-1].Message.Kind != "identity.login_code" || i < 0 {
				t.Fatalf("last email is not a sign-in code: %s", text)
			}
			return text[i+8:][:6]
		}
		a := s.browser("198.51.100.32")
		a.login(c.email, testPassword).must(t, 200, "Confirm it is you")
		a.post("/login/2fa/send-code", url.Values{"channel": {"email"}}).must(t, 200, "We emailed you a code")
		code := lastCode()
		other := s.browser("203.0.113.42")
		other.login(c.email, testPassword).must(t, 200, "Confirm it is you")
		other.post("/login/2fa", url.Values{"method": {"code"}, "code": {code}}).must(t, 401, "That code is not right")
		a.post("/login/2fa", url.Values{"method": {"code"}, "code": {code}}).must(t, 200, "Welcome, Ida")
		a.post("/logout", url.Values{})

		// Five wrong tries end the partial sign-in and its code.
		s.clock.Add(time.Minute)
		b := s.browser("198.51.100.33")
		b.login(c.email, testPassword).must(t, 200, "Confirm it is you")
		b.post("/login/2fa/send-code", url.Values{"channel": {"email"}}).must(t, 200, "We emailed you a code")
		code = lastCode()
		for i := range 5 {
			wrong := fmt.Sprintf("%06d", (atoi(code)+1+i)%1_000_000)
			r := b.post("/login/2fa", url.Values{"method": {"code"}, "code": {wrong}})
			if i < 4 {
				r.must(t, 401)
			} else {
				r.must(t, 200, "Start again")
			}
		}
		s.clock.Add(time.Minute) // past the delay
		b.post("/login/2fa", url.Values{"method": {"code"}, "code": {code}}).must(t, 200, "Sign in")
		b.login(c.email, testPassword).must(t, 200, "Confirm it is you")
		b.post("/login/2fa", url.Values{"method": {"code"}, "code": {code}}).must(t, 401, "That code is not right")
	})
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}

// TestSecondFactorThrottles: wrong codes reach the per-IP limit as wrong
// passwords do: from one IP, over three accounts (no lock), 20 wrong
// codes, then 429 for the next code and for a right password.
func TestSecondFactorThrottles(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d)
		type victim struct {
			c      customer
			secret string
		}
		var vs []victim
		for i := range 3 {
			c, secret := withTOTP(t, s, "Vic", fmt.Sprintf("198.51.100.%d", 40+i))
			vs = append(vs, victim{c, secret})
		}
		att := s.browser("203.0.113.77")
		wrong := 0
		for wrong < 20 {
			v := vs[wrong/7]
			att.login(v.c.email, testPassword).must(t, 200, "Confirm it is you")
			for range 4 {
				if wrong == 20 {
					break
				}
				s.clock.Add(20 * time.Second) // past each account's delay, inside the IP's 15-minute window
				guess(att, wrongCode(t, v.secret, s.clock.Now())).must(t, 401)
				wrong++
			}
			att.post("/logout", url.Values{})
		}
		v := vs[2]
		s.clock.Add(20 * time.Second)
		att.login(v.c.email, testPassword).must(t, 429, "Too many attempts")
		s.browser("203.0.113.78").login(v.c.email, testPassword).must(t, 200, "Confirm it is you") // another IP
	})
}

// TestSecondFactorHundredCodes: however the guesses are spread (partial
// sign-ins, locks, hours, IPs), no more than 100 wrong codes are tried
// against one account. At the 100th the owner is emailed; codes are then
// refused, the right one too, until the owner chooses a new password.
func TestSecondFactorHundredCodes(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d)
		c, secret := withTOTP(t, s, "Hal", "198.51.100.50")
		tried := 0
		for round := 0; tried < 130; round++ {
			s.clock.Add(31 * time.Minute) // past any lock
			att := s.browser(fmt.Sprintf("203.0.%d.9", 10+round))
			if r := att.login(c.email, testPassword); r.status != 200 || !strings.Contains(r.body, "Confirm it is you") {
				t.Fatalf("round %d: password step %d", round, r.status)
			}
			for range 5 {
				s.clock.Add(20 * time.Second) // past the delay (16 s at most before a lock), inside the partial session's 5 minutes
				r := guess(att, wrongCode(t, secret, s.clock.Now()))
				if r.status == 403 {
					r.must(t, 403, "choose a new password")
					goto blocked
				}
				tried++
				if _, ff := factorState(t, d, c.email); ff != tried {
					t.Fatalf("round %d: try %d answered %d at %s, factor failures %d", round, tried, r.status, r.url, ff)
				}
			}
		}
	blocked:
		if tried != 100 {
			t.Fatalf("%d wrong codes tried before the block, want 100", tried)
		}
		if _, ff := factorState(t, d, c.email); ff != 100 {
			t.Errorf("factor failures %d, want 100", ff)
		}
		if n := s.count("identity.factor_blocked", c.email); n != 1 {
			t.Fatalf("%d block emails, want 1", n)
		}
		if n := s.auditCount("login.factor_blocked"); n != 1 {
			t.Errorf("%d block events", n)
		}
		// The owner, with the right code, is refused too until a new
		// password.
		s.clock.Add(time.Minute)
		owner := s.browser("198.51.100.50")
		owner.login(c.email, testPassword).must(t, 200, "Confirm it is you")
		guess(owner, totpCode(t, secret, s.clock.Now())).must(t, 403, "choose a new password")
		owner.post("/login/2fa/send-code", url.Values{"channel": {"email"}}).must(t, 429)

		// The block email's link outlived its 30 minutes (the attack's
		// last round started after a lock); the owner asks for a new one.
		if !strings.Contains(s.lastLink(c.email, "identity.factor_blocked"), "/reset?token=") {
			t.Error("the block email has no link to a new password")
		}
		owner.post("/forgot", url.Values{"email": {c.email}}).must(t, 200)
		link := s.lastLink(c.email, "identity.reset")
		owner.get(link).must(t, 200)
		const newPassword = "a brand new passphrase for hal"
		owner.post("/reset", url.Values{"token": {strings.TrimPrefix(link, "/reset?token=")}, "password": {newPassword}, "confirm": {newPassword}}).must(t, 200)
		s.clock.Add(time.Minute)
		owner.login(c.email, newPassword).must(t, 200, "Confirm it is you")
		guess(owner, totpCode(t, secret, s.clock.Now())).must(t, 200, "Welcome, Hal")
		verifyAudit(t, d)
	})
}

// TestTOTPSeedEncrypted: the authenticator seed is not stored in plain
// text, neither on the login nor, while awaiting confirmation, in the
// session data; a seed stored before encryption is encrypted at the
// next start and still works.
func TestTOTPSeedEncrypted(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d)
		c := seedLogin(t, s, "Sol")
		b := s.browser("198.51.100.60")
		b.mustSignIn(c.email, testPassword)
		setup := b.get("/security/totp")
		m := secretRE.FindStringSubmatch(setup.body)
		if m == nil {
			t.Fatal("no secret on the setup page")
		}
		pending := m[1]
		var data string
		if err := d.Read.QueryRow(`SELECT s.data FROM sessions s JOIN logins l ON l.id = s.login_id WHERE l.email = $1`, c.email).Scan(&data); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(data, pending) {
			t.Errorf("the pending seed is in the session data in plain text: %s", data)
		}
		b.post("/security/totp", url.Values{"code": {totpCode(t, pending, s.clock.Now())}}).must(t, 200, "Your recovery codes")
		var plain, keyID string
		var cipher []byte
		if err := d.Read.QueryRow(`SELECT totp_secret, totp_key_id, totp_cipher FROM logins WHERE email = $1`, c.email).Scan(&plain, &keyID, &cipher); err != nil {
			t.Fatal(err)
		}
		if plain != "" || keyID != "dev" || len(cipher) < 28 || strings.Contains(string(cipher), pending) {
			t.Fatalf("seed at rest: plain %q, key %q, %d bytes", plain, keyID, len(cipher))
		}
		var codes string
		if err := d.Read.QueryRow(`SELECT min(code_hash) FROM recovery_codes r JOIN logins l ON l.id = r.login_id WHERE l.email = $1`, c.email).Scan(&codes); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(codes, "$argon2id$") {
			t.Errorf("recovery codes are not stored as argon2id hashes: %q", codes)
		}
		b.post("/logout", url.Values{})

		// A seed from before encryption, moved by the next start.
		if _, err := d.SQL.Exec(`UPDATE logins SET totp_secret = $1, totp_key_id = '', totp_cipher = NULL WHERE email = $2`, pending, c.email); err != nil {
			t.Fatal(err)
		}
		s2 := startServe(t, d)
		if err := d.Read.QueryRow(`SELECT totp_secret, totp_key_id FROM logins WHERE email = $1`, c.email).Scan(&plain, &keyID); err != nil {
			t.Fatal(err)
		}
		if plain != "" || keyID != "dev" {
			t.Fatalf("after restart: plain %q, key %q", plain, keyID)
		}
		s2.clock.Add(time.Minute)
		b2 := s2.browser("198.51.100.61")
		b2.login(c.email, testPassword).must(t, 200, "Confirm it is you")
		guess(b2, totpCode(t, pending, s2.clock.Now())).must(t, 200, "Welcome, Sol")

		// A key rotation: the next start moves the seed to the new key.
		dev := base64.StdEncoding.EncodeToString([]byte("carfin-development-key-NOT-SECRET")[:32])
		fresh := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32)))
		s3 := startServe(t, d, func(cfg *serveConfig) {
			cfg.env = withDemoIdentity(func(k string) string {
				if k == "CARFIN_PAYMENT_KEYS" {
					return "k2:" + fresh + ",dev:" + dev
				}
				return ""
			})
		})
		if err := d.Read.QueryRow(`SELECT totp_key_id FROM logins WHERE email = $1`, c.email).Scan(&keyID); err != nil || keyID != "k2" {
			t.Fatalf("after a rotation the seed is under %q (%v), want k2", keyID, err)
		}
		s3.clock.Add(time.Minute)
		b3 := s3.browser("198.51.100.62")
		b3.login(c.email, testPassword).must(t, 200, "Confirm it is you")
		guess(b3, totpCode(t, pending, s3.clock.Now())).must(t, 200, "Welcome, Sol")
	})
}
