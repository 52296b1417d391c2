package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"carfin/audit"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/identity"
	"carfin/locale"
)

// Each flow of issue 4 through real HTTP against the portal, on both engines.

func verifyAudit(t *testing.T, d *db.DB) {
	t.Helper()
	f, err := audit.Verify(context.Background(), d)
	if err != nil || !f.OK() {
		t.Fatalf("audit chain: %v %v", f, err)
	}
}

func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// enableTOTP turns on an authenticator app for a signed-in browser and
// returns its secret and recovery codes.
func enableTOTP(t *testing.T, b *browser) (string, []string) {
	t.Helper()
	r := b.get("/security/totp")
	r.must(t, 200, "data:image/png;base64,", `alt="QR code for your authenticator app"`)
	m := secretRE.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no secret on the setup page:\n%s", r.body)
	}
	secret := m[1]
	bad := b.post("/security/totp", url.Values{"code": {"000000"}})
	bad.must(t, 422, "That code is not right")
	if s2 := secretRE.FindStringSubmatch(bad.body); s2 == nil || s2[1] != secret {
		t.Fatal("a wrong code changed the pending secret")
	}
	r = b.post("/security/totp", url.Values{"code": {totpCode(t, secret, b.srv.clock.Now())}})
	r.must(t, 200, "Your recovery codes")
	var codes []string
	for _, m := range recoveryRE.FindAllStringSubmatch(r.body, -1) {
		codes = append(codes, m[1])
	}
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes:\n%s", len(codes), r.body)
	}
	return secret, codes
}

func TestEnrolment(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d)
		c := seedCustomer(t, d, "Maria")
		b := s.browser("198.51.100.10")
		b.get("/enrol").must(t, 200, `name="account"`, `name="ssn4"`, `name="dob"`, `name="zip"`)

		// Malformed fields are named, next to the field.
		r := b.post("/enrol", url.Values{"account": {c.account}, "ssn4": {"12"}})
		r.must(t, 422, `id="ssn4-error"`, "last 4 digits", `id="dob-error"`)

		// Wrong facts and right facts get the same answer; only the right
		// ones send an email.
		sent := "If the details match an account, we have sent an email"
		wrong := b.post("/enrol", url.Values{"account": {c.account}, "ssn4": {"9999"}, "dob": {c.birth}})
		wrong.must(t, 200, sent)
		unknown := b.post("/enrol", url.Values{"account": {"NW-NOPE"}, "ssn4": {c.ssn4}, "zip": {c.zip}})
		unknown.must(t, 200, sent)
		if s.count("identity.enrol", c.email) != 0 {
			t.Fatal("email sent for a mismatch")
		}
		right := b.post("/enrol", url.Values{"account": {c.account}, "ssn4": {c.ssn4}, "zip": {c.zip}})
		right.must(t, 200, sent)
		if sameBody(wrong) != sameBody(right) || sameBody(unknown) != sameBody(right) {
			t.Error("enrolment answers differ between match and mismatch")
		}
		link := s.lastLink(c.email, "identity.enrol")

		// The link shows the username and asks for a password; the
		// policy's errors are shown next to the field.
		r = b.get(link)
		r.must(t, 200, c.email, `name="password"`)
		token := strings.TrimPrefix(link, "/enrol/verify?token=")
		for pw, msg := range map[string]string{
			"short":                    "too short",
			"1qaz2wsx3edc4rfv":         "too common",
			"maria forever and always": "must not contain your name",
		} {
			r := b.post("/enrol/verify", url.Values{"token": {token}, "password": {pw}, "confirm": {pw}})
			r.must(t, 422, `id="password-error"`, msg)
		}
		b.post("/enrol/verify", url.Values{"token": {token}, "password": {testPassword}, "confirm": {"other"}}).must(t, 422, "not the same")
		r = b.post("/enrol/verify", url.Values{"token": {token}, "password": {testPassword}, "confirm": {testPassword}})
		r.must(t, 200, "Your online access is ready", "Authenticator app", "Passkeys")
		if r.url != "/security?welcome=1" {
			t.Errorf("after enrolment at %s", r.url)
		}
		// The link works once.
		b.get(link).must(t, 410, "This link does not work")

		b.post("/logout", url.Values{})
		b.mustSignIn(c.email, testPassword)

		// Asking again when enrolled sends "you already have access".
		b.post("/enrol", url.Values{"account": {c.account}, "ssn4": {c.ssn4}, "dob": {c.birth}}).must(t, 200, sent)
		if s.count("identity.enrol_existing", c.email) != 1 {
			t.Error("no 'already enrolled' email")
		}
		// Throttled per account number: 5 attempts an hour.
		other := s.browser("198.51.100.99")
		var last response
		for range 6 {
			last = other.post("/enrol", url.Values{"account": {c.account}, "ssn4": {"0000"}, "zip": {"00000"}})
		}
		last.must(t, 429, "Too many attempts")
		verifyAudit(t, d)
	})
}

func TestTOTPSecondFactor(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d)
		c := seedLogin(t, s, "Tom")
		b := s.browser("198.51.100.20")
		b.mustSignIn(c.email, testPassword)
		secret, codes := enableTOTP(t, b)
		b.get("/security").must(t, 200, "An authenticator app is set up", "You have 10 unused recovery codes")
		if s.count("identity.security_change", c.email) != 1 {
			t.Error("no security-change alert for the new factor")
		}
		b.post("/logout", url.Values{})

		// Password, then the app's code.
		s.clock.Add(31 * time.Second)
		r := b.login(c.email, testPassword)
		r.must(t, 200, "Confirm it is you", "6-digit code from your authenticator app")
		if r.url != "/login/2fa?next=%2F" {
			t.Errorf("second step at %s", r.url)
		}
		b.get("/").must(t, 200, "Confirm it is you") // a partial session opens nothing but its second step
		code := totpCode(t, secret, s.clock.Now())
		b.post("/login/2fa", url.Values{"method": {"totp"}, "code": {"123456x"}}).must(t, 401, "That code is not right")
		b.post("/login/2fa", url.Values{"method": {"totp"}, "code": {code}}).must(t, 200, "Welcome, Tom")
		b.post("/logout", url.Values{})

		// Replay: the same code again, within its 30-second window.
		b2 := s.browser("198.51.100.21")
		b2.login(c.email, testPassword).must(t, 200, "Confirm it is you")
		b2.post("/login/2fa", url.Values{"method": {"totp"}, "code": {code}}).must(t, 401, "That code is not right")

		// A recovery code works once.
		b2.post("/login/2fa", url.Values{"method": {"recovery"}, "code": {strings.ToUpper(codes[0])}}).must(t, 200, "Welcome, Tom")
		b2.post("/logout", url.Values{})
		b2.login(c.email, testPassword).must(t, 200, "Confirm it is you")
		b2.post("/login/2fa", url.Values{"method": {"recovery"}, "code": {codes[0]}}).must(t, 401, "That code is not right")

		// A code by email, and "remember this device".
		b2.post("/login/2fa/send-code", url.Values{"channel": {"email"}}).must(t, 200, "We emailed you a code")
		msgs := s.mail(c.email)
		text := msgs[len(msgs)-1].Message.Text
		emailed := text[strings.Index(text, "code is ")+8:][:6]
		b2.post("/login/2fa", url.Values{"method": {"code"}, "code": {emailed}, "remember": {"on"}}).must(t, 200, "Welcome, Tom")
		b2.post("/logout", url.Values{})
		b2.login(c.email, testPassword).must(t, 200, "Welcome, Tom") // remembered: no second step
		b2.post("/logout", url.Values{})

		// An SMS code goes to the phone on file through the SMS provider.
		b.login(c.email, testPassword).must(t, 200, "Confirm it is you")
		b.post("/login/2fa/send-code", url.Values{"channel": {"sms"}}).must(t, 200, "We texted a code")
		sms := s.mail(c.phone)
		if len(sms) != 1 || sms[0].Message.Channel != "sms" {
			t.Fatalf("SMS outbox: %+v", sms)
		}
		smsCode := sms[0].Message.Text[strings.Index(sms[0].Message.Text, "code is ")+8:][:6]
		b.post("/login/2fa", url.Values{"method": {"code"}, "code": {smsCode}}).must(t, 200, "Welcome, Tom")

		// Five wrong codes end the second step.
		b3 := s.browser("198.51.100.22")
		b3.login(c.email, testPassword).must(t, 200, "Confirm it is you")
		for range 4 {
			b3.post("/login/2fa", url.Values{"method": {"totp"}, "code": {"000000"}}).must(t, 401)
		}
		r = b3.post("/login/2fa", url.Values{"method": {"totp"}, "code": {"000000"}})
		r.must(t, 200, "Start again")

		// New recovery codes replace the old ones (after re-authentication).
		r = b.post("/security/recovery-codes", url.Values{})
		r.must(t, 200, "Your recovery codes")
		fresh := recoveryRE.FindAllStringSubmatch(r.body, -1)
		if len(fresh) != 10 {
			t.Fatalf("%d new recovery codes", len(fresh))
		}
		s.clock.Add(time.Minute) // past the delay that b3's five wrong codes started
		b4 := s.browser("198.51.100.23")
		b4.login(c.email, testPassword).must(t, 200, "Confirm it is you")
		b4.post("/login/2fa", url.Values{"method": {"recovery"}, "code": {codes[1]}}).must(t, 401) // an old code
		// Past the delay of a sixth failure: codes count as passwords do.
		s.clock.Add(3 * time.Second)
		b4.post("/login/2fa", url.Values{"method": {"recovery"}, "code": {fresh[0][1]}}).must(t, 200, "Welcome, Tom")

		// Removing the factor needs a recent password check.
		s.clock.Add(6 * time.Minute)
		r = b.post("/security/totp/remove", url.Values{})
		r.must(t, 200, "Confirm your password")
		b.post("/reauth", url.Values{"password": {"wrong password here"}, "next": {"/security"}}).must(t, 401, "not right")
		b.post("/reauth", url.Values{"password": {testPassword}, "next": {"/security"}}).must(t, 200, "Security settings")
		b.post("/security/totp/remove", url.Values{}).must(t, 200, "The authenticator app was removed")
		verifyAudit(t, d)
	})
}

func TestSessions(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d)
		c := seedLogin(t, s, "Sam")
		a, b := s.browser("198.51.100.30"), s.browser("198.51.100.31")
		a.mustSignIn(c.email, testPassword)
		b.mustSignIn(c.email, testPassword)
		r := a.get("/security")
		r.must(t, 200, "This device", "Where you are signed in")
		if n := strings.Count(r.body, `/revoke"`); n != 2 {
			t.Fatalf("%d sessions listed, want 2", n)
		}

		// Idle timeout: 15 minutes without a request; the warning page
		// does not extend it, "Stay signed in" does.
		s.clock.Add(14 * time.Minute)
		a.get("/session/idle?next=/security").must(t, 200, "Are you still there?", "Stay signed in")
		a.post("/session/extend", url.Values{"next": {"/security"}}).must(t, 200, "Security settings")
		s.clock.Add(2 * time.Minute)
		b.get("/").must(t, 200, "signed out after 15 minutes") // b idled out
		a.get("/").must(t, 200, "Welcome, Sam")

		// Absolute timeout: 12 hours, however active.
		signedIn := s.clock.Now().Add(-16 * time.Minute)
		for range 12 * 6 {
			s.clock.Add(10 * time.Minute)
			if r := a.get("/"); !strings.Contains(r.body, "Welcome, Sam") {
				if s.clock.Now().Sub(signedIn) < 12*time.Hour {
					t.Fatalf("signed out early, at %s", s.clock.Now())
				}
				break
			}
		}
		a.get("/").must(t, 200, `name="password"`)

		// Sign out another device; sign out everywhere.
		a.mustSignIn(c.email, testPassword)
		b.mustSignIn(c.email, testPassword)
		r = a.get("/security")
		ids := revokeIDs(r.body)
		var other string
		for _, id := range ids {
			if !strings.Contains(r.body[strings.Index(r.body, "/security/sessions/"+id+"/revoke")-400:strings.Index(r.body, "/security/sessions/"+id+"/revoke")], "This device") {
				other = id
			}
		}
		a.post("/security/sessions/"+other+"/revoke", url.Values{}).must(t, 200, "That device was signed out")
		b.get("/").must(t, 200, `name="password"`)
		a.post("/security/sessions/999999/revoke", url.Values{}).must(t, 404)
		b.mustSignIn(c.email, testPassword)
		// Signing out everywhere needs the password again after 5 minutes
		// (a stolen session must not lock its owner out everywhere).
		s.clock.Add(6 * time.Minute)
		a.post("/security/sessions/revoke-all", url.Values{}).must(t, 200, "Confirm your password")
		b.get("/").must(t, 200, "Welcome, Sam")
		a.post("/reauth", url.Values{"password": {testPassword}, "next": {"/security"}}).must(t, 200, "Security settings")
		a.post("/security/sessions/revoke-all", url.Values{}).must(t, 200, "You are signed out")
		a.get("/").must(t, 200, `name="password"`)
		b.get("/").must(t, 200, `name="password"`)
		verifyAudit(t, d)
	})
}

func revokeIDs(body string) []string {
	var ids []string
	for _, part := range strings.Split(body, `/security/sessions/`)[1:] {
		if i := strings.Index(part, "/revoke"); i > 0 && !strings.Contains(part[:i], "revoke-all") {
			ids = append(ids, part[:i])
		}
	}
	return ids
}

func TestPasswordChangeAndReset(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d)
		c := seedLogin(t, s, "Pat")
		a, b := s.browser("198.51.100.40"), s.browser("198.51.100.41")
		a.mustSignIn(c.email, testPassword)
		b.mustSignIn(c.email, testPassword)

		// Change: needs the current password; other sessions end.
		next := "a brand new passphrase for pat"
		a.post("/security/password", url.Values{"current": {"not it at all"}, "password": {next}, "confirm": {next}}).must(t, 401, `id="current-error"`)
		a.post("/security/password", url.Values{"current": {testPassword}, "password": {"tiny"}, "confirm": {"tiny"}}).must(t, 422, "too short")
		a.post("/security/password", url.Values{"current": {testPassword}, "password": {next}, "confirm": {next}}).must(t, 200, "Your password was changed")
		a.get("/").must(t, 200, "Welcome, Pat")
		b.get("/").must(t, 200, `name="password"`)
		if s.count("identity.security_change", c.email) != 1 {
			t.Error("no alert for the password change")
		}

		// Forgot: the same answer for known and unknown emails.
		f := s.browser("198.51.100.42")
		known := f.post("/forgot", url.Values{"email": {c.email}, "channel": {"email"}})
		unknown := f.post("/forgot", url.Values{"email": {"nobody@example.com"}, "channel": {"email"}})
		known.must(t, 200, "If an account uses that email address")
		if sameBody(known) != sameBody(unknown) {
			t.Error("forgot-password answers differ for known and unknown emails")
		}
		first := s.lastLink(c.email, "identity.reset")
		f.post("/forgot", url.Values{"email": {c.email}})
		second := s.lastLink(c.email, "identity.reset")
		f.get(first).must(t, 410, "This link does not work") // superseded by a newer link
		f.get(second).must(t, 200, `name="password"`)
		tok := strings.TrimPrefix(second, "/reset?token=")
		reset := "reset passphrase number one"
		f.post("/reset", url.Values{"token": {tok}, "password": {reset}, "confirm": {reset}}).must(t, 200, "Your password was changed and every device was signed out")
		a.get("/").must(t, 200, `name="password"`)                                                                     // every session ended
		f.post("/reset", url.Values{"token": {tok}, "password": {reset + "x"}, "confirm": {reset + "x"}}).must(t, 410) // reused
		f.mustSignIn(c.email, reset)

		// Expired after 30 minutes.
		f.post("/forgot", url.Values{"email": {c.email}})
		late := strings.TrimPrefix(s.lastLink(c.email, "identity.reset"), "/reset?token=")
		s.clock.Add(31 * time.Minute)
		f.post("/reset", url.Values{"token": {late}, "password": {"too late passphrase"}, "confirm": {"too late passphrase"}}).must(t, 410)

		// By a code to the phone on file.
		g := s.browser("198.51.100.43")
		g.post("/forgot", url.Values{"email": {c.email}, "channel": {"sms"}}).must(t, 200, "Reset with a code", "texted it a code")
		sms := s.mail(c.phone)
		text := sms[len(sms)-1].Message.Text
		code := text[strings.Index(text, "code is ")+8:][:8]
		viaCode := "reset by text message code"
		g.post("/reset/code", url.Values{"email": {c.email}, "code": {"00000000"}, "password": {viaCode}, "confirm": {viaCode}}).must(t, 401, "That code is not right")
		// A short password with a wrong code gets the same answer for a
		// known and an unknown email: the rules (which depend on the
		// account) are checked only once the code is right.
		knownAns := g.post("/reset/code", url.Values{"email": {c.email}, "code": {"00000001"}, "password": {"short"}, "confirm": {"short"}})
		unknownAns := g.post("/reset/code", url.Values{"email": {"nobody.here@example.com"}, "code": {"00000001"}, "password": {"short"}, "confirm": {"short"}})
		knownAns.must(t, 401, "That code is not right")
		unknownAns.must(t, 401, "That code is not right")
		if k, u := strings.ReplaceAll(sameBody(knownAns), c.email, "E"), strings.ReplaceAll(sameBody(unknownAns), "nobody.here@example.com", "E"); k != u {
			t.Errorf("the code reset form answers a known email differently:\n%s\n---\n%s", k, u)
		}
		// The right code with a password the rules refuse keeps the code.
		g.post("/reset/code", url.Values{"email": {c.email}, "code": {code}, "password": {"short"}, "confirm": {"short"}}).must(t, 422, "at least")
		g.post("/reset/code", url.Values{"email": {c.email}, "code": {code}, "password": {viaCode}, "confirm": {viaCode}}).must(t, 200, "Sign in with the new password")
		g.mustSignIn(c.email, viaCode)
		verifyAudit(t, d)
	})
}

// TestResetKeepsSecondFactor: recovery never bypasses 2FA silently.
func TestResetKeepsSecondFactor(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d)
		c := seedLogin(t, s, "Kim")
		b := s.browser("198.51.100.50")
		b.mustSignIn(c.email, testPassword)
		secret, _ := enableTOTP(t, b)
		b.post("/logout", url.Values{})
		b.post("/forgot", url.Values{"email": {c.email}})
		tok := strings.TrimPrefix(s.lastLink(c.email, "identity.reset"), "/reset?token=")
		pw := "short2fa" // 8 characters are enough with a second factor
		b.post("/reset", url.Values{"token": {tok}, "password": {pw}, "confirm": {pw}}).must(t, 200, "Sign in with the new password")
		b.login(c.email, pw).must(t, 200, "Confirm it is you")
		s.clock.Add(30 * time.Second)
		b.post("/login/2fa", url.Values{"method": {"totp"}, "code": {totpCode(t, secret, s.clock.Now())}}).must(t, 200, "Welcome, Kim")
		// With an 8-character password the app cannot be removed.
		b.post("/security/totp/remove", url.Values{}).must(t, 409, "shorter than 15 characters")
	})
}

func TestNewDeviceAlertAndWasntMe(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d, func(cfg *serveConfig) {
			cfg.PlacesFile = writePlaces(t, "203.0.113.0/24,United States\n192.0.2.0/24,Portugal\n")
		})
		c := seedLogin(t, s, "Lee")
		home := s.browser("203.0.113.5")
		home.mustSignIn(c.email, testPassword)
		if n := s.count("identity.login_alert", c.email); n != 0 {
			t.Fatalf("alert for the first device: %d", n)
		}
		home.post("/logout", url.Values{})
		home.mustSignIn(c.email, testPassword)
		if n := s.count("identity.login_alert", c.email); n != 0 {
			t.Fatalf("alert for a known device: %d", n)
		}
		home.get("/security").must(t, 200, "United States (203.0.113.5)")

		// The same browser from another country.
		home.ip = "192.0.2.9"
		home.mustSignIn(c.email, testPassword)
		if n := s.count("identity.login_alert", c.email); n != 1 {
			t.Fatalf("alerts after a new country: %d", n)
		}
		// A new browser.
		thief := s.browser("203.0.113.66")
		thief.mustSignIn(c.email, testPassword)
		if n := s.count("identity.login_alert", c.email); n != 2 {
			t.Fatalf("alerts after a new device: %d", n)
		}
		// The alert says when in the lender's zone (the default, New York).
		ny, _ := time.LoadLocation("America/New_York")
		if q := s.mail(c.email); !strings.Contains(q[len(q)-1].Message.Text, "When: "+locale.Moment("en", s.clock.Now().In(ny))+"\n") {
			t.Fatalf("alert time not in the lender's zone:\n%s", q[len(q)-1].Message.Text)
		}
		// The intruder sets up an authenticator app and a passkey of their
		// own; the owner had a passkey from before (rows written here: the
		// WebAuthn ceremony itself is the browser test's).
		addPasskey := func(name string, at time.Time) {
			t.Helper()
			if _, err := d.SQL.Exec(`INSERT INTO passkeys (login_id, credential_id, name, credential, created_at)
				SELECT id, $1, $2, '{}', $3 FROM logins WHERE email = $4`, []byte(name), name, at, c.email); err != nil {
				t.Fatal(err)
			}
		}
		s.clock.Add(time.Minute)
		enableTOTP(t, thief) // alerts again
		s.clock.Add(time.Minute)
		addPasskey("owner's phone", s.clock.Now().Add(-24*time.Hour))
		addPasskey("intruder's key", s.clock.Now())
		s.clock.Add(time.Minute)
		thief.post("/security/recovery-codes", url.Values{}).must(t, 200, "Your recovery codes") // and again
		// The owner answers the newest alert (new recovery codes): what the
		// intruder added since the earlier, unanswered alerts goes too.
		link := s.lastLink(c.email, "identity.security_change")
		if !strings.HasPrefix(link, "/wasnt-me?token=") {
			t.Fatalf("alert link %s", link)
		}
		// Opening the link changes nothing (mail scanners follow links).
		home.get(link).must(t, 200, "This wasn&#39;t me", "Secure my account")
		thief.get("/").must(t, 200, "Welcome, Lee")
		tok := strings.TrimPrefix(link, "/wasnt-me?token=")
		home.post("/wasnt-me", url.Values{"token": {tok}}).must(t, 200, "Every device is signed out")
		thief.get("/").must(t, 200, `name="password"`)
		thief.login(c.email, testPassword).must(t, 401) // the old password no longer works
		// What the intruder added is gone; what the owner had stays.
		var names string
		var keys, totp, codes int
		if err := d.Read.QueryRow(`SELECT COALESCE((SELECT min(name) FROM passkeys p WHERE p.login_id = l.id), ''),
			(SELECT count(*) FROM passkeys p WHERE p.login_id = l.id), l.totp_enabled,
			(SELECT count(*) FROM recovery_codes r WHERE r.login_id = l.id) FROM logins l WHERE l.email = $1`, c.email).Scan(&names, &keys, &totp, &codes); err != nil {
			t.Fatal(err)
		}
		if keys != 1 || names != "owner's phone" || totp != 0 || codes != 0 {
			t.Errorf("after wasn't me: %d passkeys (%q), TOTP %d, %d recovery codes", keys, names, totp, codes)
		}
		reset := s.lastLink(c.email, "identity.reset")
		home.get(reset).must(t, 200, `name="password"`)
		home.post("/wasnt-me", url.Values{"token": {tok}}).must(t, 410)
		if s.auditCount("login.wasnt_me") != 1 || s.auditCount("login.alert") != 2 {
			t.Error("audit events missing")
		}
		verifyAudit(t, d)
	})
}

func TestLanguage(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d)
		b := s.browser("198.51.100.60")
		b.lang = "es-MX,es;q=0.9,en;q=0.5"
		r := b.get("/login")
		r.must(t, 200, `<html lang="es">`, "Iniciar sesión", "Correo electrónico", "English")
		// The switcher persists English in a cookie, whatever the browser says.
		b.post("/lang", url.Values{"lang": {"en"}, "next": {"/login"}}).must(t, 200, `<html lang="en">`, "Sign in", "Español")
		b.get("/forgot").must(t, 200, "Reset your password")
		if r := b.post("/lang", url.Values{"lang": {"es"}, "next": {"//evil.example/"}}); r.url != "/login?next=%2F" {
			t.Errorf("next left the site: %s", r.url) // next stays on this site
		}
	})
}

func TestStaffUnlockAndStaffRealm(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d, func(cfg *serveConfig) { cfg.limits = identity.Limits{DelayBase: time.Nanosecond} })
		c := seedLogin(t, s, "Ida")
		id, _ := identity.New(identity.Config{DB: d, Params: cheapParams, BaseURL: s.base})
		ctx := context.Background()
		staff, err := id.CreateStaff(ctx, "agent@northwind.example", "Agent Smith", "staff passphrase number seven")
		if err != nil {
			t.Fatal(err)
		}
		// A staff login never opens the customer portal.
		b := s.browser("198.51.100.70")
		b.login("agent@northwind.example", "staff passphrase number seven").must(t, 401)

		for range 10 {
			s.clock.Add(time.Minute)
			b.login(c.email, "wrong wrong wrong wrong").must(t, 401)
		}
		var loginID int64
		_ = d.Read.QueryRow(`SELECT id FROM logins WHERE customer_id = $1`, c.id).Scan(&loginID)
		until, _, err := id.LockState(ctx, loginID)
		if err != nil || until.IsZero() {
			t.Fatalf("not locked: %v %v", until, err)
		}
		// Only a staff login can unlock: a customer's id is refused.
		if err := id.StaffUnlock(ctx, loginID, loginID, "I am me"); !errors.Is(err, identity.ErrNotStaff) {
			t.Fatalf("a customer unlocked: %v", err)
		}
		if until, _, _ := id.LockState(ctx, loginID); until.IsZero() {
			t.Fatal("the refused unlock unlocked")
		}
		if err := id.StaffUnlock(ctx, staff, loginID, "verified by phone: DOB and SSN last 4"); err != nil {
			t.Fatal(err)
		}
		b.mustSignIn(c.email, testPassword)
		if s.auditCount("login.unlock") != 1 {
			t.Error("no unlock audit event")
		}
	})
}

// TestTextsThroughSMSGateway: with --sms-url, texts (here a password
// reset code) leave through the lender's gateway over HTTP, with its
// token, and the code that arrives there works.
func TestTextsThroughSMSGateway(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		texts := make(chan map[string]string, 10)
		gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var m map[string]string
			if r.Header.Get("Authorization") != "Bearer gateway-token" || json.NewDecoder(r.Body).Decode(&m) != nil {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			texts <- m
			w.WriteHeader(http.StatusAccepted)
		}))
		defer gw.Close()
		s := startServe(t, d, func(cfg *serveConfig) { cfg.SMSURL, cfg.smsToken = gw.URL+"/send", "gateway-token" })
		c := seedLogin(t, s, "Sam")
		b := s.browser("198.51.100.140")
		b.post("/forgot", url.Values{"email": {c.email}, "channel": {"sms"}}).must(t, 200, "texted it a code")
		var m map[string]string
		select {
		case m = <-texts:
		case <-time.After(10 * time.Second):
			t.Fatal("no text reached the gateway")
		}
		i := strings.Index(m["text"], "code is ")
		if m["to"] != c.phone || i < 0 {
			t.Fatalf("gateway got %v", m)
		}
		pw := "reset through the gateway code"
		b.post("/reset/code", url.Values{"email": {c.email}, "code": {m["text"][i+8 : i+16]}, "password": {pw}, "confirm": {pw}}).must(t, 200, "Sign in with the new password")
		b.mustSignIn(c.email, pw)
	})
}
