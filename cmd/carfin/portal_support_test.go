package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"carfin/db"
	"carfin/db/dbtest"
	"carfin/identity"
	"carfin/notify"
	"carfin/preferences"
	"carfin/profile"
	"carfin/support"
	"carfin/web"
)

// The profile and support pages of issue 5 (items 7 and 8) through real
// HTTP, on both engines: every flow, bad input shown next to its field
// with nothing written, and every route's authorization.

var (
	samplePDF  = []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n")
	samplePNG  = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01")
	codeRE     = regexp.MustCompile(`code[^0-9]*([0-9]{6})`)
	threadIDRE = regexp.MustCompile(`^/messages/([0-9]+)`)
	attachRE   = regexp.MustCompile(`href="(/messages/[0-9]+/attachments/[0-9]+)"`)
)

// signIn signs a customer in and checks the portal's front page answered.
func signIn(t *testing.T, b *browser, c customer) {
	t.Helper()
	r := b.login(c.email, testPassword)
	if r.status != 200 || r.url != "/" {
		t.Fatalf("sign-in of %s: %d at %s\n%s", c.email, r.status, r.url, clip(r.body))
	}
}

// lastCode returns the 6-digit code in the newest message of kind to to.
func lastCode(t *testing.T, s *server, to, kind string) string {
	t.Helper()
	q := s.mail(to)
	for i := len(q) - 1; i >= 0; i-- {
		if q[i].Message.Kind == kind {
			if m := codeRE.FindStringSubmatch(q[i].Message.Text); m != nil {
				return m[1]
			}
		}
	}
	t.Fatalf("no %s code to %s in %+v", kind, to, q)
	return ""
}

type upload struct {
	name string
	data []byte
}

// multipart posts a multipart form, as a browser sends a form with files.
func (b *browser) multipart(path string, fields map[string]string, files ...upload) response {
	b.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	for _, f := range files {
		part, err := w.CreateFormFile("attachments", f.name)
		if err != nil {
			b.t.Fatal(err)
		}
		_, _ = part.Write(f.data)
	}
	if len(files) == 0 { // a browser sends the empty file field too
		part, _ := w.CreateFormFile("attachments", "")
		_, _ = part.Write(nil)
	}
	_ = w.Close()
	req, err := http.NewRequest("POST", b.srv.base+path, &body)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("X-Forwarded-For", b.ip)
	if b.lang != "" {
		req.Header.Set("Accept-Language", b.lang)
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("POST %s: %v", path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, body: string(raw), url: res.Request.URL.RequestURI(), header: res.Header}
}

// ok is must, returning the response for more checks.
func (r response) ok(t *testing.T, status int, contains ...string) response {
	t.Helper()
	r.must(t, status, contains...)
	return r
}

var nextRE = regexp.MustCompile(`name="next" value="[^"]*"`)

// same404 is a page without what differs by request (nonce, return path).
func same404(r response) string { return nextRE.ReplaceAllString(sameBody(r), "") }

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (r response) mustNot(t *testing.T, absent ...string) {
	t.Helper()
	for _, a := range absent {
		if strings.Contains(r.body, a) {
			t.Fatalf("page at %s holds %q\n%s", r.url, a, clip(r.body))
		}
	}
}

func countRows(t *testing.T, d *db.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.Read.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPortalContactChanges(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d)
		c := seedLogin(t, s, "Elena")
		other := seedLogin(t, s, "Omar")
		b := s.browser("198.51.100.40")
		signIn(t, b, c)
		b.get("/profile").must(t, 200, "Your profile", c.email, "1 Main St", "Springfield, IL 62701", "Your documents come on paper")

		// Email: a recent sign-in is needed; otherwise re-authenticate first.
		s.clock.Add(6 * time.Minute)
		r := b.get("/profile/email")
		if !strings.HasPrefix(r.url, "/reauth") {
			t.Fatalf("email change without a recent sign-in went to %s", r.url)
		}
		b.post("/reauth", url.Values{"password": {testPassword}, "next": {"/profile/email"}}).must(t, 200, "New email address")

		for _, tc := range []struct{ in, msg string }{
			{"not-an-email", "Enter an email address like name@example.com."},
			{"a@b", "Enter an email address like name@example.com."},
			{"<script>alert(1)</script>@x.example", "Enter an email address like name@example.com."},
			{strings.ToUpper(c.email), "That is already your email address."},
		} {
			r := b.post("/profile/email", url.Values{"email": {tc.in}})
			r.must(t, 422, `id="email-error"`, tc.msg, `aria-invalid="true"`)
			r.mustNot(t, "<script>alert(1)</script>")
		}
		if n := countRows(t, d, `SELECT count(*) FROM contact_changes`); n != 0 {
			t.Fatalf("refused requests wrote %d changes", n)
		}

		newEmail := "elena.new@example.com"
		r = b.post("/profile/email", url.Values{"email": {" Elena.New@Example.com "}})
		r.must(t, 200, "Enter the code from your email", newEmail)
		code := lastCode(t, s, newEmail, "identity.email_change_code")
		b.get("/profile").must(t, 200, "Enter the code we sent to "+newEmail)
		// Nothing changed yet: still signed in under the old address.
		if n := countRows(t, d, `SELECT count(*) FROM logins WHERE email = $1`, c.email); n != 1 {
			t.Fatal("the username changed before the code")
		}
		b.post("/profile/email/verify", url.Values{"code": {"000000"}}).must(t, 422, `id="code-error"`, "That code is not right")
		r = b.post("/profile/email/verify", url.Values{"code": {code}})
		r.must(t, 200, "Your email address was changed", newEmail)
		if r.url != "/profile?notice=email" {
			t.Errorf("after the code at %s", r.url)
		}
		if countRows(t, d, `SELECT count(*) FROM logins WHERE email = $1`, newEmail) != 1 ||
			countRows(t, d, `SELECT count(*) FROM customers WHERE id = $1 AND email = $2`, c.id, newEmail) != 1 {
			t.Fatal("login or customer email not changed")
		}
		// The old address is told, with a link that undoes the change.
		revert := s.lastLink(c.email, "identity.email_changed")
		if !strings.HasPrefix(revert, "/email-revert?token=") {
			t.Fatalf("revert link %s", revert)
		}
		if s.auditCount("contact.email_change") != 1 {
			t.Error("email change not audited")
		}
		// The new address is the username now.
		b2 := s.browser("198.51.100.41")
		b2.login(c.email, testPassword).must(t, 401)
		signIn(t, b2, customer{email: newEmail})

		// Another customer's address: the same answer, but no code is sent,
		// and that address is told instead.
		b2.post("/reauth", url.Values{"password": {testPassword}, "next": {"/profile"}})
		r = b2.post("/profile/email", url.Values{"email": {other.email}})
		r.must(t, 200, "Enter the code from your email", other.email)
		if s.count("identity.email_in_use", other.email) != 1 || s.count("identity.email_change_code", other.email) != 0 {
			t.Fatal("an address in use got a code, or no note")
		}
		for range 5 {
			b2.post("/profile/email/verify", url.Values{"code": {"123456"}})
		}
		b2.post("/profile/email/verify", url.Values{"code": {"123456"}}).must(t, 409, "The code has expired or was entered wrong too many times")

		// Undo from the old address: the page asks first; then the old
		// address is back, every session ends, a reset link goes out.
		anon := s.browser("198.51.100.42")
		anon.get(revert).must(t, 200, "Undo the change of your email address")
		token := strings.TrimPrefix(revert, "/email-revert?token=")
		anon.post("/email-revert", url.Values{"token": {token}}).must(t, 200, "Your email address is back")
		if countRows(t, d, `SELECT count(*) FROM logins WHERE email = $1 AND password_hash = ''`, c.email) != 1 {
			t.Fatal("email not restored or password still valid")
		}
		if !strings.HasPrefix(b.get("/profile").url, "/login") {
			t.Fatal("a session survived the undo")
		}
		if s.count("identity.reset", c.email) != 1 {
			t.Error("no reset link after the undo")
		}
		anon.post("/email-revert", url.Values{"token": {token}}).must(t, 410)
		verifyAudit(t, d)
	})
}

func TestPortalPhoneAndAddress(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d)
		c := seedLogin(t, s, "Farah")
		b := s.browser("198.51.100.50")
		signIn(t, b, c)

		b.get("/profile/phone").must(t, 200, "New mobile phone number", "Your mobile phone now:")
		for _, bad := range []string{"12345", "(055) 201-0123", "555-011-1234", "+44 20 7946 0958", "555 201 0123 ext 9", "<b>5552010123</b>"} {
			r := b.post("/profile/phone", url.Values{"phone": {bad}})
			r.must(t, 422, `id="phone-error"`, "Enter a US phone number with its area code")
			r.mustNot(t, "<b>5552010123</b>")
		}
		r := b.post("/profile/phone", url.Values{"phone": {"(555) 201-7788"}})
		r.must(t, 200, "Enter the code from the text message", "(555) 201-7788")
		sms := s.mail("+15552017788")
		if len(sms) != 1 || sms[0].Message.Channel != notify.SMS {
			t.Fatalf("SMS outbox: %+v", sms)
		}
		b.post("/profile/phone/verify", url.Values{"code": {"999999"}}).must(t, 422, "That code is not right")
		b.post("/profile/phone/verify", url.Values{"code": {lastCode(t, s, "+15552017788", "identity.phone_change_code")}}).
			must(t, 200, "Your mobile phone was changed", "(555) 201-7788")
		if countRows(t, d, `SELECT count(*) FROM customers WHERE id = $1 AND phone = '+15552017788'`, c.id) != 1 {
			t.Fatal("phone not changed")
		}
		if s.count("identity.security_change", c.email) != 1 {
			t.Error("no security alert for the phone change")
		}

		// Address: each problem next to its field, nothing written.
		b.get("/profile/address").must(t, 200, `value="1 Main St"`, `value="Springfield"`, `value="IL"`)
		for _, tc := range []struct {
			form  url.Values
			field string
			msg   string
		}{
			{url.Values{"line1": {""}, "city": {"Columbus"}, "state": {"OH"}, "zip": {"43215"}}, "line1", "Enter the street address."},
			{url.Values{"line1": {"1 A St"}, "city": {"<script>alert(1)</script>"}, "state": {"OH"}, "zip": {"43215"}}, "city", "Enter the city in Latin letters"},
			{url.Values{"line1": {"1 A St"}, "city": {"Columbus"}, "state": {"XX"}, "zip": {"43215"}}, "state", "Enter a US state or territory"},
			{url.Values{"line1": {"1 A St"}, "city": {"Columbus"}, "state": {"OH"}, "zip": {"4321"}}, "zip", "Enter a 5-digit ZIP code"},
			{url.Values{"line1": {"1 A St"}, "city": {"Columbus"}, "state": {"OH"}, "zip": {"43215-12"}}, "zip", "Enter a 5-digit ZIP code"},
			{url.Values{"line1": {strings.Repeat("x", 201)}, "city": {"Columbus"}, "state": {"OH"}, "zip": {"43215"}}, "line1", "Use at most 40 characters for the street address"},
		} {
			r := b.post("/profile/address", tc.form)
			r.must(t, 422, `id="`+tc.field+`-error"`, tc.msg, `href="#`+tc.field+`"`)
			r.mustNot(t, "<script>alert(1)</script>")
		}
		if countRows(t, d, `SELECT count(*) FROM customers WHERE id = $1 AND address_line1 = '1 Main St'`, c.id) != 1 {
			t.Fatal("a refused address was written")
		}
		r = b.post("/profile/address", url.Values{"line1": {" 200  Elm Ave "}, "line2": {"Apt 4"}, "city": {"Columbus"}, "state": {"oh"}, "zip": {"43215-1234"}})
		r.must(t, 200, "Your mailing address was changed", "200 Elm Ave", "Apt 4", "Columbus, OH 43215-1234")
		if s.count("profile.address_changed", c.email) != 1 || s.auditCount("contact.address_change") != 1 {
			t.Error("address change not notified or not audited")
		}
		verifyAudit(t, d)
	})
}

func TestPortalPaperlessAndAlerts(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d)
		c := seedLogin(t, s, "Gina")
		b := s.browser("198.51.100.60")
		signIn(t, b, c)

		// The disclosure: scope, right to paper, withdrawal, contact
		// details, hardware and software (15 USC 7001(c)(1)).
		r := b.get("/profile/paperless")
		r.must(t, 200, "What this consent covers", "Your right to paper", "How to withdraw your consent", "Keep your contact details up to date",
			"What you need", "PO Box 4100", "1-800-555-0199", `name="version" value="`+profile.DisclosureVersion+`"`)
		pdf := b.get("/profile/paperless/sample.pdf")
		code := profile.SampleCode(c.id)
		if pdf.status != 200 || !strings.HasPrefix(pdf.body, "%PDF-") || !strings.Contains(pdf.body, code) ||
			!strings.HasPrefix(pdf.header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("sample PDF: %d %v", pdf.status, pdf.header)
		}
		b.post("/profile/paperless", url.Values{"version": {profile.DisclosureVersion}, "lang": {"en"}}).
			must(t, 422, `id="agree-error"`, `id="code-error"`, "Tick the box to agree", "Enter the code printed in the sample PDF")
		b.post("/profile/paperless", url.Values{"version": {profile.DisclosureVersion}, "lang": {"en"}, "agree": {"on"}, "code": {"WRONG1"}}).
			must(t, 422, "That is not the code in the sample PDF")
		b.post("/profile/paperless", url.Values{"version": {"1999-01"}, "lang": {"en"}, "agree": {"on"}, "code": {code}}).
			must(t, 409, "The notice changed while you were reading")
		if n := countRows(t, d, `SELECT count(*) FROM esign_consents`); n != 0 {
			t.Fatalf("refused consents wrote %d rows", n)
		}
		r = b.post("/profile/paperless", url.Values{"version": {profile.DisclosureVersion}, "lang": {"en"}, "agree": {"on"}, "code": {strings.ToLower(code)}})
		r.must(t, 200, "You chose paperless delivery", "You get your documents electronically")
		// Moments are shown in the lender's time zone, in words.
		if !regexp.MustCompile(`electronically, since [A-Z][a-z]+ \d{1,2}, \d{4} at \d{1,2}:\d\d [AP]M E[SD]T`).MatchString(r.body) {
			t.Errorf("the consent time is not in the lender's zone in words:\n%s", r.body)
		}
		var version, sha, method, ip string
		if err := d.Read.QueryRow(`SELECT disclosure_version, disclosure_sha256, method, ip FROM esign_consents WHERE customer_id = $1 AND action = 'given'`, c.id).
			Scan(&version, &sha, &method, &ip); err != nil {
			t.Fatal(err)
		}
		if version != profile.DisclosureVersion || len(sha) != 64 || !strings.Contains(method, "sample PDF") || ip != "198.51.100.60" {
			t.Fatalf("consent record: %s %s %s %s", version, sha, method, ip)
		}
		if on, _ := profile.Paperless(context.Background(), d.Read, c.id); !on {
			t.Fatal("not paperless after consenting")
		}
		if s.count("profile.esign_given", c.email) != 1 {
			t.Error("no consent confirmation email")
		}
		b.get("/profile/paperless").must(t, 200, "Go back to paper", "Consent given")
		b.post("/profile/paperless/withdraw", url.Values{}).must(t, 200, "You went back to paper")
		if on, _ := profile.Paperless(context.Background(), d.Read, c.id); on {
			t.Fatal("still paperless after withdrawing")
		}
		if s.count("profile.esign_withdrawn", c.email) != 1 || s.auditCount("esign.given") != 1 || s.auditCount("esign.withdrawn") != 1 {
			t.Error("withdrawal not confirmed or not audited")
		}
		b.get("/profile/paperless").must(t, 200, "Consent withdrawn", "Consent given")

		// Alerts: per type and channel; texts record consent for the phone.
		b.get("/profile/alerts").must(t, 200, "Payment due reminder", "Security alerts", "always sent", "Reply STOP")
		for _, days := range []string{"0", "16", "x"} {
			b.post("/profile/alerts", url.Values{"days": {days}, "due_reminder_email": {"on"}}).must(t, 422, `id="days-error"`, "Choose between 1 and 15 days")
		}
		if n := countRows(t, d, `SELECT count(*) FROM notification_preferences`); n != 0 {
			t.Fatal("refused preferences were written")
		}
		r = b.post("/profile/alerts", url.Values{"days": {"3"}, "due_reminder_sms": {"on"}, "payment_received_email": {"on"}})
		r.must(t, 200, "Your alert choices were saved", "3 days before the due date")
		ctx := context.Background()
		for _, tc := range []struct {
			k    preferences.Kind
			ch   notify.Channel
			want bool
		}{
			{preferences.DueReminder, notify.Email, false}, {preferences.DueReminder, notify.SMS, true},
			{preferences.PaymentReceived, notify.Email, true}, {preferences.StatementReady, notify.Email, false},
			{preferences.Security, notify.Email, true},
		} {
			if got, err := preferences.ShouldNotify(ctx, d.Read, c.id, tc.k, tc.ch); err != nil || got != tc.want {
				t.Errorf("ShouldNotify(%s, %s) = %v %v, want %v", tc.k, tc.ch, got, err, tc.want)
			}
		}
		b.get("/profile/alerts").must(t, 200, `name="due_reminder_sms" type="checkbox" checked`, `<option value="en" lang="en" selected>English</option>`)
		// The language of messages is saved with the alerts, and kept when
		// a form without it is posted.
		b.post("/profile/alerts", url.Values{"days": {"3"}, "due_reminder_sms": {"on"}, "lang": {"es"}}).must(t, 200, "Your alert choices were saved")
		b.post("/profile/alerts", url.Values{"days": {"3"}, "due_reminder_sms": {"on"}}).must(t, 200, "Your alert choices were saved")
		b.get("/profile/alerts").must(t, 200, `<option value="es" lang="es" selected>Español</option>`)
		if p, err := preferences.Get(ctx, d.Read, c.id); err != nil || p.Lang != "es" {
			t.Errorf("language of messages %q %v", p.Lang, err)
		}
		verifyAudit(t, d)
	})
}

// staffLogin creates a staff member for replies.
func staffLogin(t *testing.T, s *server) int64 {
	t.Helper()
	id, err := identity.New(identity.Config{DB: s.d, Params: cheapParams, BaseURL: s.base})
	if err != nil {
		t.Fatal(err)
	}
	sid, err := id.CreateStaff(context.Background(), fmt.Sprintf("agent%d@northwind.example", time.Now().UnixNano()), "Agent", "a long staff password for tests")
	if err != nil {
		t.Fatal(err)
	}
	return sid
}

func TestPortalMessages(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d)
		c := seedLogin(t, s, "Hana")
		b := s.browser("198.51.100.70")
		signIn(t, b, c)
		b.get("/messages").must(t, 200, "You have no messages yet.", `href="/messages/new"`)
		b.get("/messages/new").must(t, 200, `enctype="multipart/form-data"`, `name="attachments"`)

		big := append(append([]byte{}, samplePDF...), make([]byte, support.AttachmentBytesMax)...)
		for _, tc := range []struct {
			name   string
			fields map[string]string
			files  []upload
			status int
			field  string
			msg    string
		}{
			{"empty subject", map[string]string{"subject": " ", "body": "hello"}, nil, 422, "subject", "Enter a subject."},
			{"empty body", map[string]string{"subject": "Hi", "body": " \r\n "}, nil, 422, "body", "Write your message."},
			{"long body", map[string]string{"subject": "Hi", "body": strings.Repeat("a", support.BodyRunesMax+1)}, nil, 422, "body", "Keep the message to 5,000 characters"},
			{"wrong type", map[string]string{"subject": "Hi", "body": "b"}, []upload{{"virus.exe", []byte("MZ\x90")}}, 422, "attachments", "Attach only PDF, PNG or JPEG"},
			{"html named pdf", map[string]string{"subject": "Hi", "body": "b"}, []upload{{"x.pdf", []byte("<html><script>alert(1)</script>")}}, 422, "attachments", "Attach only PDF, PNG or JPEG"},
			{"png named pdf", map[string]string{"subject": "Hi", "body": "b"}, []upload{{"x.pdf", samplePNG}}, 422, "attachments", "Attach only PDF, PNG or JPEG"},
			{"oversized", map[string]string{"subject": "Hi", "body": "b"}, []upload{{"big.pdf", big}}, 422, "attachments", "Each file can be at most 5 MB"},
			{"too many", map[string]string{"subject": "Hi", "body": "b"}, []upload{{"a.pdf", samplePDF}, {"b.pdf", samplePDF}, {"c.pdf", samplePDF}, {"d.pdf", samplePDF}}, 422, "attachments", "at most 3 files"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := b.multipart("/messages", tc.fields, tc.files...)
				r.must(t, tc.status, `id="`+tc.field+`-error"`, tc.msg)
			})
		}
		// A form over the whole limit is refused before it is read.
		huge := make([]byte, 4*support.AttachmentBytesMax)
		copy(huge, samplePDF)
		if r := b.multipart("/messages", map[string]string{"subject": "Hi", "body": "b"}, upload{"huge.pdf", huge}); r.status != 413 {
			t.Errorf("huge form: %d", r.status)
		}
		// Other routes keep the small limit.
		if r := b.post("/profile/address", url.Values{"line1": {strings.Repeat("x", 100<<10)}}); r.status != 413 {
			t.Errorf("large form on another route: %d", r.status)
		}
		if n := countRows(t, d, `SELECT count(*) FROM support_threads`); n != 0 {
			t.Fatalf("refused messages wrote %d threads", n)
		}

		// A message with a script payload and a PDF: shown escaped.
		payload := `<script>alert("x")</script>`
		r := b.multipart("/messages", map[string]string{"subject": "Payoff " + payload, "body": "Line one\n" + payload}, upload{`stmt "june".pdf`, samplePDF})
		r.must(t, 200, "Your message was sent", "Payoff &lt;script&gt;", "Line one\n&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;", "stmt _june_.pdf")
		r.mustNot(t, payload)
		m := threadIDRE.FindStringSubmatch(r.url)
		if m == nil {
			t.Fatalf("after sending at %s", r.url)
		}
		thread := m[1]
		att := attachRE.FindStringSubmatch(r.body)
		if att == nil {
			t.Fatal("no attachment link")
		}
		dl := b.get(att[1])
		if dl.status != 200 || dl.body != string(samplePDF) || dl.header.Get("Content-Type") != "application/pdf" ||
			!strings.HasPrefix(dl.header.Get("Content-Disposition"), "attachment;") || dl.header.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.Contains(dl.header.Get("Content-Security-Policy"), "sandbox") {
			t.Fatalf("attachment download: %d %v", dl.status, dl.header)
		}

		// Staff reply (the console's operation): the customer is emailed,
		// the thread is marked, reading it clears the mark.
		sup := support.New(d, support.Config{LenderName: "Northwind", BaseURL: s.base})
		tid, err := strconv.ParseInt(thread, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sup.StaffReply(context.Background(), staffLogin(t, s), tid, "We have sent the letter.", []support.Upload{{Name: "letter.png", Data: samplePNG}}); err != nil {
			t.Fatal(err)
		}
		if s.count("support.reply", c.email) != 1 {
			t.Fatal("no email about the reply")
		}
		b.get("/messages").must(t, 200, "New reply", "Payoff &lt;script&gt;")
		b.get("/").must(t, 200, "Customer service has answered your message.", `href="/messages">Read messages`)
		b.get("/messages/"+thread).must(t, 200, "We have sent the letter.", "customer service", "letter.png", "PNG image")
		b.get("/messages").mustNot(t, "New reply")
		b.get("/").mustNot(t, "has answered")

		// Reply in the thread, with a PNG; bad replies write nothing.
		b.multipart("/messages/"+thread+"/reply", map[string]string{"body": ""}).must(t, 422, `id="body-error"`, "Write your message.")
		b.multipart("/messages/"+thread+"/reply", map[string]string{"body": "x"}, upload{"a.gif", []byte("GIF89a")}).must(t, 422, "Attach only PDF, PNG or JPEG")
		b.multipart("/messages/"+thread+"/reply", map[string]string{"body": "Thank you!"}, upload{"photo.png", samplePNG}).
			must(t, 200, "Thank you!", "photo.png")
		if n := countRows(t, d, `SELECT count(*) FROM support_messages WHERE thread_id = $1`, tid); n != 3 {
			t.Fatalf("%d messages in the thread", n)
		}

		// Spanish.
		b.lang = "es"
		b.get("/messages").must(t, 200, "Mensajes", "Escribir un mensaje")
		b.get("/messages/"+thread).must(t, 200, "Servicio al cliente de", "imagen PNG")
	})
}

func TestPortalFAQAndContact(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d)
		anon := s.browser("198.51.100.80")
		anon.get("/faq").must(t, 200, "Questions and answers", "How can I make a payment?", `role="search"`)
		anon.get("/faq?q=PAYOFF+quote").must(t, 200, "3 answers for “PAYOFF quote”.", "How do I get a payoff quote?")
		r := anon.get("/faq?q=" + url.QueryEscape(`<script>alert(1)</script>`))
		r.must(t, 200, "No answers for “&lt;script&gt;alert(1)&lt;/script&gt;”")
		r.mustNot(t, "<script>alert(1)</script>")
		anon.lang = "es"
		anon.get("/faq?q=liquidacion").must(t, 200, "¿Cómo obtengo una cotización de liquidación?")
		anon.lang = ""
		anon.get("/contact").must(t, 200, "Contact us", "1-800-555-0199", "PO Box 4100", "PO Box 4200", "100 Harbor Way, Suite 200",
			"Overnight and courier payments", "Sign in to send a secure message", "Mon–Fri 8am–8pm ET")
		anon.lang = "es"
		anon.get("/contact").must(t, 200, "lun.–vie., 8 a. m.–8 p. m. (hora del Este)")
		anon.lang = ""

		// The lender's FAQ and addresses from the configuration.
		dir := t.TempDir()
		writeFile(t, dir+"/faq.en.md", "# Our topic\n## Where is the *branch*?\nAt [our site](https://lender.example) and <b>here</b>.\n")
		s2 := startServe(t, d, func(c *serveConfig) {
			c.FAQDir = dir
			c.MailingAddresses = []web.MailingAddress{{Kind: "payments", Lines: []string{"Lockbox 77", "Dayton, OH 45401"}}}
		})
		b := s2.browser("198.51.100.81")
		r = b.get("/faq")
		r.must(t, 200, "Where is the <em>branch</em>?", `<a href="https://lender.example" rel="noopener noreferrer">our site</a>`, "&lt;b&gt;here&lt;/b&gt;")
		r.mustNot(t, "How can I make a payment?")
		b.get("/contact").ok(t, 200, "Lockbox 77").mustNot(t, "PO Box 4100")
	})
}

// TestPortalSupportAuthorization: every route of the profile and support
// pages answers a signed-out visitor with the sign-in page, and customer
// B asking for A's thread or attachment gets exactly the answer of one
// that does not exist.
func TestPortalSupportAuthorization(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d)
		a, bob := seedLogin(t, s, "Ada"), seedLogin(t, s, "Bob")
		ba, bb := s.browser("198.51.100.90"), s.browser("198.51.100.91")
		signIn(t, ba, a)
		signIn(t, bb, bob)
		r := ba.multipart("/messages", map[string]string{"subject": "Ada's private subject", "body": "Ada's private body"}, upload{"ada.pdf", samplePDF})
		r.must(t, 200, "Ada&#39;s private subject")
		thread := threadIDRE.FindStringSubmatch(r.url)[1]
		attach := attachRE.FindStringSubmatch(r.body)[1]
		missing := "/messages/999999"
		secrets := []string{"Ada&#39;s private", "Ada's private", "ada.pdf", "%PDF"}

		// Signed out: every signed-in route leads to the sign-in page.
		anon := s.browser("198.51.100.92")
		for _, path := range []string{"/profile", "/profile/address", "/profile/email", "/profile/email/verify", "/profile/phone",
			"/profile/phone/verify", "/profile/paperless", "/profile/paperless/sample.pdf", "/profile/alerts", "/messages", "/messages/new",
			"/messages/" + thread, attach} {
			r := anon.get(path)
			if r.status != 200 || !strings.HasPrefix(r.url, "/login") {
				t.Errorf("signed out GET %s: %d at %s", path, r.status, r.url)
			}
			r.mustNot(t, secrets...)
		}
		for _, path := range []string{"/profile/address", "/profile/email", "/profile/email/verify", "/profile/phone", "/profile/phone/verify",
			"/profile/paperless", "/profile/paperless/withdraw", "/profile/alerts", "/messages", "/messages/" + thread + "/reply"} {
			r := anon.post(path, url.Values{"body": {"x"}})
			if !strings.HasPrefix(r.url, "/login") {
				t.Errorf("signed out POST %s: %d at %s", path, r.status, r.url)
			}
		}
		// Public pages.
		anon.get("/faq").must(t, 200)
		anon.get("/contact").must(t, 200)
		anon.get("/email-revert?token=nope").must(t, 410)

		// Bob and Ada's ids: the same 404 as an id that does not exist.
		notFound := bb.get(missing)
		notFound.must(t, 404, "Page not found")
		for _, tc := range []struct {
			name, method, path string
		}{
			{"thread", "GET", "/messages/" + thread},
			{"attachment", "GET", attach},
			{"attachment via own-looking thread", "GET", strings.Replace(attach, "/messages/"+thread, missing, 1)},
			{"reply", "POST", "/messages/" + thread + "/reply"},
			{"thread id not a number", "GET", "/messages/abc"},
			{"attachment id not a number", "GET", "/messages/" + thread + "/attachments/x"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var r response
				if tc.method == "POST" {
					r = bb.multipart(tc.path, map[string]string{"body": "Bob was here"})
				} else {
					r = bb.get(tc.path)
				}
				r.must(t, 404, "Page not found")
				r.mustNot(t, secrets...)
				if same404(r) != same404(notFound) {
					t.Error("the answer differs from a missing thread's")
				}
			})
		}
		if n := countRows(t, d, `SELECT count(*) FROM support_messages WHERE body = 'Bob was here'`); n != 0 {
			t.Fatal("Bob wrote into Ada's thread")
		}
		bb.get("/messages").ok(t, 200, "You have no messages yet.").mustNot(t, secrets...)
		// Ada still sees hers.
		ba.get("/messages/"+thread).must(t, 200, "Ada&#39;s private body")
		ba.get(attach).must(t, 200, "%PDF")

		// Profile pages show only the signed-in customer's data.
		bb.get("/profile").ok(t, 200, bob.email).mustNot(t, a.email)
		bb.get("/profile/paperless/sample.pdf").must(t, 200, profile.SampleCode(bob.id))
	})
}
