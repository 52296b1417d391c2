package console_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"carfin/staff"
	"carfin/support"
)

func init() { register("messages", testMessages) }

// pngBytes is the start of a PNG file: enough for support's sniffing.
const pngBytes = "\x89PNG\r\n\x1a\n0000IHDR"

// postMultipart posts a multipart form with fields and files (field
// "attachments", name → content).
func (b *browser) postMultipart(path string, fields url.Values, files map[string]string) response {
	b.f.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	for name, content := range files {
		fw, err := mw.CreateFormFile("attachments", name)
		if err != nil {
			b.f.t.Fatal(err)
		}
		_, _ = fw.Write([]byte(content))
	}
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, b.f.srv.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

// withField is form with field k set to v (form unchanged).
func withField(form url.Values, k, v string) url.Values {
	out := url.Values{}
	for key, vs := range form {
		out[key] = vs
	}
	out.Set(k, v)
	return out
}

// count runs a count query on the fixture's book.
func (f *fixture) count(q string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.d.Read.QueryRowContext(f.t.Context(), q, args...).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// testMessages: an agent finds a new message in the queue, opens it and
// its attachment, takes it, replies (once, however often the form is
// sent) and closes it with a reason; bad input is refused at its field
// with nothing written; an auditor may not reply; unknown ids are 404.
func testMessages(t *testing.T, f *fixture) {
	ctx := t.Context()
	subject := fmt.Sprintf("Title copy after payoff %d", f.d.Now().UnixNano())
	tid, err := f.caps.Support.StartThread(ctx, f.book.LoginCustomerID, "en", subject, "Where is my title?",
		[]support.Upload{{Name: "payoff-letter.png", Data: []byte(pngBytes)}})
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/staff/messages/%d", tid)
	agent := f.signIn(staff.Agent)
	agentID := f.logins[staff.Agent].LoginID
	messages := func() int { return f.count(`SELECT count(*) FROM support_messages WHERE thread_id = $1`, tid) }

	// The queue: waiting, unassigned.
	for _, tc := range []struct {
		name, path string
		want       bool
	}{
		{"all", "/staff/messages", true},
		{"unassigned", "/staff/messages?scope=unassigned", true},
		{"mine", "/staff/messages?scope=mine", false},
	} {
		r := agent.get(tc.path)
		if r.Status != http.StatusOK || strings.Contains(r.Body, subject) != tc.want {
			t.Errorf("queue %s: %d, lists the new message: %v, want %v", tc.name, r.Status, strings.Contains(r.Body, subject), tc.want)
		}
	}

	// The thread and its attachment.
	r := agent.get(path)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Where is my title?") || !strings.Contains(r.Body, "payoff-letter.png") ||
		!strings.Contains(r.Body, fmt.Sprintf("/staff/customers/%d", f.book.LoginCustomerID)) {
		t.Fatalf("thread: %d %s", r.Status, r.Body)
	}
	if n := f.count(`SELECT count(*) FROM support_threads WHERE id = $1 AND unread_by_staff = 1`, tid); n != 0 {
		t.Errorf("opening the thread left it unread by staff")
	}
	var attID int64
	if err := f.d.Read.QueryRowContext(ctx, `SELECT id FROM support_attachments WHERE thread_id = $1`, tid).Scan(&attID); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s%s/attachments/%d", f.srv.URL, path, attID), nil)
	resp, err := agent.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, page := range []string{fmt.Sprintf("message:%d", tid), fmt.Sprintf("attachment:%d", attID)} {
		if n := f.count(`SELECT count(*) FROM audit_events WHERE action = 'customer.view' AND actor = $1 AND subject = $2 AND details LIKE $3`,
			fmt.Sprintf("staff:%d", agentID), fmt.Sprintf("customer:%d", f.book.LoginCustomerID), `%"page":"`+page+`"%`); n == 0 {
			t.Errorf("opening %s was not audited", page)
		}
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("attachment: %d %v", resp.StatusCode, resp.Header)
	}

	// Assign: bad choices are refused, then the agent takes it.
	for _, to := range []string{"someone", "-1", fmt.Sprint(f.logins[staff.Auditor].LoginID), "99999999"} {
		if r := agent.post(path+"/assign", url.Values{"to": {to}}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "field-error") {
			t.Errorf("assign to %q: %d", to, r.Status)
		}
	}
	if n := f.count(`SELECT count(*) FROM support_threads WHERE id = $1 AND assigned_to IS NOT NULL`, tid); n != 0 {
		t.Fatalf("a refused assignment was written")
	}
	for range 2 { // twice: the second changes nothing
		if r := agent.post(path+"/assign", url.Values{"to": {"me"}}); r.Status != http.StatusSeeOther || r.Location != path+"?done=assigned" {
			t.Fatalf("assign to me: %d %s", r.Status, r.Location)
		}
	}
	if n := f.count(`SELECT count(*) FROM support_threads WHERE id = $1 AND assigned_to = $2`, tid, agentID); n != 1 {
		t.Errorf("not assigned to the agent")
	}
	if n := f.count(`SELECT count(*) FROM audit_events WHERE action = 'support.assign' AND actor = $1 AND details LIKE $2`,
		fmt.Sprintf("staff:%d", agentID), fmt.Sprintf("%%\"thread\":\"%d\"%%", tid)); n != 1 {
		t.Errorf("assignments audited: %d, want 1", n)
	}
	if r := agent.get("/staff/messages?scope=mine"); !strings.Contains(r.Body, subject) {
		t.Errorf("mine lacks the assigned message")
	}

	// Reply: bad input writes nothing.
	last := fmt.Sprint(f.count(`SELECT max(id) FROM support_messages WHERE thread_id = $1`, tid))
	for _, tc := range []struct {
		name, body string
		files      map[string]string
		field      string
	}{
		{"empty", "  ", nil, "Write the reply."},
		{"too long", strings.Repeat("x", support.BodyRunesMax+1), nil, "too long"},
		{"not a picture", "See attached.", map[string]string{"notes.txt": "plain text"}, "PDF, PNG or JPEG"},
		{"too many", "See attached.", map[string]string{"a.png": pngBytes, "b.png": pngBytes, "c.png": pngBytes, "d.png": pngBytes}, "at most 3"},
	} {
		r := agent.postMultipart(path+"/reply", url.Values{"body": {tc.body}, "last": {last}}, tc.files)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, tc.field) {
			t.Errorf("reply %s: %d, want 422 with %q", tc.name, r.Status, tc.field)
		}
	}
	if n := messages(); n != 1 {
		t.Fatalf("refused replies wrote messages: %d", n)
	}
	reply := url.Values{"body": {"Hello,\r\nYour title is on its way."}, "last": {last}}
	for range 2 { // a double submit sends one reply
		r := agent.postMultipart(path+"/reply", reply, map[string]string{"release.png": pngBytes})
		if r.Status != http.StatusSeeOther || r.Location != path+"?done=replied" {
			t.Fatalf("reply: %d %s %s", r.Status, r.Location, r.Body)
		}
	}
	if n := messages(); n != 2 {
		t.Errorf("messages after a double submit: %d, want 2", n)
	}
	if n := f.count(`SELECT count(*) FROM support_threads WHERE id = $1 AND awaiting_since IS NULL`, tid); n != 1 {
		t.Errorf("the thread still awaits a reply")
	}
	if r := agent.get(path + "?done=replied"); !strings.Contains(r.Body, "Reply sent") || !strings.Contains(r.Body, "Your title is on its way.") {
		t.Errorf("thread after reply lacks the notice or the reply")
	}

	// Close: a reason is required.
	if r := agent.post(path+"/close", url.Values{"reason": {" "}}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Give the reason") {
		t.Errorf("close without a reason: %d", r.Status)
	}
	if n := f.count(`SELECT count(*) FROM support_threads WHERE id = $1 AND status = 'open'`, tid); n != 1 {
		t.Fatalf("closed without a reason")
	}
	for range 2 {
		if r := agent.post(path+"/close", url.Values{"reason": {"Answered; title mailed."}}); r.Status != http.StatusSeeOther || r.Location != path+"?done=closed" {
			t.Fatalf("close: %d %s", r.Status, r.Location)
		}
	}
	if n := f.count(`SELECT count(*) FROM support_threads WHERE id = $1 AND status = 'closed' AND close_reason = 'Answered; title mailed.'`, tid); n != 1 {
		t.Errorf("not closed with the reason")
	}
	if r := agent.get("/staff/messages"); strings.Contains(r.Body, subject) {
		t.Errorf("the queue still lists a closed message")
	}
	if r := agent.get(path); r.Status != http.StatusOK || !strings.Contains(r.Body, "Answered; title mailed.") {
		t.Errorf("closed thread: %d", r.Status)
	}

	// Roles and unknown ids.
	auditor := f.signIn(staff.Auditor)
	for _, tc := range []struct {
		name   string
		b      *browser
		method string
		path   string
		want   int
	}{
		{"auditor reads the queue", auditor, http.MethodGet, "/staff/messages", http.StatusForbidden},
		{"auditor replies", auditor, http.MethodPost, path + "/reply", http.StatusForbidden},
		{"auditor closes", auditor, http.MethodPost, path + "/close", http.StatusForbidden},
		{"unknown thread", agent, http.MethodGet, "/staff/messages/99999999", http.StatusNotFound},
		{"not a number", agent, http.MethodGet, "/staff/messages/abc", http.StatusNotFound},
		{"unknown attachment", agent, http.MethodGet, path + "/attachments/99999999", http.StatusNotFound},
		{"another thread's attachment", agent, http.MethodGet, fmt.Sprintf("/staff/messages/99999999/attachments/%d", attID), http.StatusNotFound},
		{"close an unknown thread", agent, http.MethodPost, "/staff/messages/99999999/close", http.StatusNotFound},
		{"assign an unknown thread", agent, http.MethodPost, "/staff/messages/99999999/assign", http.StatusNotFound},
	} {
		var r response
		if tc.method == http.MethodGet {
			r = tc.b.get(tc.path)
		} else {
			r = tc.b.post(tc.path, url.Values{"reason": {"x"}, "to": {"me"}})
		}
		if r.Status != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, r.Status, tc.want)
		}
	}
	if r := auditor.postMultipart(path+"/reply", url.Values{"body": {"auditor"}}, nil); r.Status != http.StatusForbidden {
		t.Errorf("auditor multipart reply: %d", r.Status)
	}
	if n := messages(); n != 2 {
		t.Errorf("messages after refusals: %d", n)
	}
}
