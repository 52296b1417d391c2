// Package browsertest drives Debian's Chromium from tests through the
// DevTools protocol (github.com/chromedp/chromedp): pages, forms,
// screenshots written as test artifacts, axe-core accessibility checks and
// a virtual WebAuthn authenticator for passkeys.
//
// Chromium is $CARFIN_CHROMIUM, or chromium on PATH. When it is missing the
// test is skipped with a message, except under CI (CI set), where it
// fails: CI must run the browser tests. axe-core is the axe.min.js at
// $CARFIN_AXE_JS (.ci/run installs it from npm): without it the checks are
// skipped with a message outside CI and fail under CI.
package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// Limits of a browser session.
const (
	stepTimeout    = 20 * time.Second
	sessionTimeout = 3 * time.Minute
)

// Browser is one headless Chromium with one tab.
type Browser struct {
	t         testing.TB
	ctx       context.Context
	base      string
	axeWarned bool
	axeSrc    []byte // axe.min.js, read once
}

// ChromiumPath finds Chromium ($CARFIN_CHROMIUM, or chromium on PATH),
// or returns "". Other tools that drive a browser (Lighthouse) use it too.
func ChromiumPath() string {
	if p := os.Getenv("CARFIN_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// missing skips outside CI and fails under CI.
func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") != "" {
		t.Fatalf("%s (CI must run the browser tests)", msg)
	}
	t.Skip(msg)
}

// Start launches a fresh headless Chromium (its own profile in a temp dir,
// no background networking) for a site at base, closed when the test ends.
// The session has sessionTimeout in all.
func Start(t testing.TB, base string) *Browser {
	t.Helper()
	return StartFor(t, base, sessionTimeout)
}

// StartFor is Start with a time budget of its own for the whole session,
// for a test that visits many pages in one browser.
func StartFor(t testing.TB, base string, budget time.Duration) *Browser {
	t.Helper()
	path := ChromiumPath()
	if path == "" {
		missing(t, "browser test skipped: Chromium not found (install Debian's chromium or set CARFIN_CHROMIUM)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	ctx, cancelTimeout := context.WithTimeout(context.Background(), budget)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc(); cancelTimeout() })
	b := &Browser{t: t, ctx: bctx, base: strings.TrimRight(base, "/")}
	if err := chromedp.Do(bctx); err != nil { // starts the browser
		t.Fatalf("start Chromium %s: %v", path, err)
	}
	return b
}

func (b *Browser) step(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("browser: %s: %v (at %s)", what, err, b.Location())
	}
}

// Go opens path on the site and waits for its body.
func (b *Browser) Go(path string) {
	b.t.Helper()
	b.step("open "+path, chromedp.Navigate(b.base+path), chromedp.WaitReady(chromedp.CSS("body")))
}

// Fill types value into the field matched by the CSS selector.
func (b *Browser) Fill(sel, value string) {
	b.t.Helper()
	b.step("fill "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
	sq, _ := json.Marshal(sel)
	Eval[bool](b, "(() => { const e = document.querySelector("+string(sq)+"); e.value = ''; return true })()")
	b.step("type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), value))
}

// Click clicks the element matched by the CSS selector.
func (b *Browser) Click(sel string) {
	b.t.Helper()
	b.step("click "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
}

// WaitFor waits until the CSS selector matches a visible element.
func (b *Browser) WaitFor(sel string) {
	b.t.Helper()
	b.step("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
}

// WaitPath waits until the page is at want: a path, which then matches
// whatever the query, or a path with a query, which must match whole.
//
// The address and the document's readiness are read in one evaluation,
// in the page: the address changes when a navigation commits, before the
// new document is loaded, and a query for a node in that gap can meet
// the old document's nodes as they are discarded ("No node with given
// id found"). Only a loaded document at the wanted address ends the wait.
func (b *Browser) WaitPath(want string) {
	b.t.Helper()
	deadline := time.Now().Add(stepTimeout)
	type state struct {
		Href  string `json:"href"`
		Ready string `json:"ready"`
	}
	var st state
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
		v, err := chromedp.Run(ctx, chromedp.Evaluate[state](`({href: location.href, ready: document.readyState})`))
		cancel()
		if err == nil {
			st = v
		}
		at := strings.TrimPrefix(st.Href, b.base)
		if !strings.Contains(want, "?") {
			at, _, _ = strings.Cut(at, "?")
		}
		if err == nil && at == want && st.Ready == "complete" {
			b.step("wait for the page", chromedp.WaitReady(chromedp.CSS("body")))
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.t.Fatalf("browser: still at %s (%s), want %s", st.Href, st.Ready, want)
}

// Text returns the visible text of the element matched by sel.
func (b *Browser) Text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("browser: text of %s: %v", sel, err)
	}
	return s
}

// Location returns the current URL ("" if unknown).
func (b *Browser) Location() string {
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Location())
	return s
}

// Eval evaluates a JavaScript expression (awaiting a promise) and decodes
// its value into T.
func Eval[T any](b *Browser, js string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("browser: evaluate %.60q: %v", js, err)
	}
	return v
}

// Viewport sets the page's width and height in CSS pixels.
func (b *Browser) Viewport(width, height int64) {
	b.t.Helper()
	b.step(fmt.Sprintf("viewport %dx%d", width, height), chromedp.EmulateViewport(width, height))
}

// Media emulates a CSS media type ("print", or "" for the screen again).
func (b *Browser) Media(media string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media}); err != nil {
		b.t.Fatalf("Emulation.setEmulatedMedia %q: %v", media, err)
	}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// ArtifactsDir is where screenshots go: $CARFIN_ARTIFACTS, or
// testdata/artifacts at the module root (ignored by git).
func ArtifactsDir() string {
	if d := os.Getenv("CARFIN_ARTIFACTS"); d != "" {
		return d
	}
	dir, _ := os.Getwd()
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, "testdata", "artifacts")
		}
		if filepath.Dir(d) == d {
			return filepath.Join(os.TempDir(), "carfin-artifacts")
		}
	}
}

// Screenshot saves a full-page PNG as ARTIFACTS/TEST-name.png and returns
// its path. The PNG is encoded for speed rather than size: a schedule of
// sixty payments on a phone is 24,000 px tall, and its smallest PNG takes
// Chromium three times as long.
func (b *Browser) Screenshot(name string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	on := true
	png, err := chromedp.Call(ctx, page.CaptureScreenshot, page.CaptureScreenshotParams{
		CaptureBeyondViewport: &on, FromSurface: &on, Format: page.CaptureScreenshotFormatPng, OptimizeForSpeed: &on})
	if err != nil {
		b.t.Fatalf("browser: screenshot %s: %v", name, err)
	}
	dir := ArtifactsDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatalf("artifacts: %v", err)
	}
	p := filepath.Join(dir, unsafeName.ReplaceAllString(b.t.Name()+"-"+name, "_")+".png")
	if err := os.WriteFile(p, png.Data, 0o644); err != nil {
		b.t.Fatalf("artifacts: %v", err)
	}
	return p
}

// Violation is one axe-core finding.
type Violation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

func (v Violation) String() string {
	var where []string
	for _, n := range v.Nodes {
		where = append(where, fmt.Sprint(n.Target...))
	}
	return fmt.Sprintf("%s (%s): %s at %s", v.ID, v.Impact, v.Help, strings.Join(where, ", "))
}

// Axe injects axe-core into the page (once per document) and returns the
// WCAG 2 A/AA violations it finds.
func (b *Browser) Axe() []Violation {
	b.t.Helper()
	path := os.Getenv("CARFIN_AXE_JS")
	if path == "" {
		// The rest of the browser test still runs; CI must check.
		if os.Getenv("CI") != "" {
			b.t.Fatal("CARFIN_AXE_JS is not set: CI must run the accessibility checks")
		}
		if !b.axeWarned {
			b.t.Log("accessibility checks skipped: set CARFIN_AXE_JS to axe-core's axe.min.js (npm axe-core)")
			b.axeWarned = true
		}
		return nil
	}
	if b.axeSrc == nil {
		src, err := os.ReadFile(path)
		if err != nil {
			b.t.Fatalf("axe-core: %v", err)
		}
		b.axeSrc = src
	}
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	// The script is half a megabyte: a page that has it already (axe run
	// at another width) is not given it again.
	has, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof axe !== 'undefined'`))
	if err != nil {
		b.t.Fatalf("axe-core: %v", err)
	}
	if !has {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](string(b.axeSrc)+";1")); err != nil {
			b.t.Fatalf("inject axe-core: %v", err)
		}
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}}).then(r => JSON.stringify(r.violations))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("axe.run: %v", err)
	}
	var out []Violation
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		b.t.Fatalf("axe results: %v", err)
	}
	return out
}

// AddVirtualAuthenticator gives the tab a platform authenticator (CTAP2,
// internal transport, resident keys, user verification that succeeds),
// as a phone or laptop with a fingerprint reader would be. Returns its id.
func (b *Browser) AddVirtualAuthenticator() string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		b.t.Fatalf("WebAuthn.enable: %v", err)
	}
	res, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
		Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21, Transport: webauthn.AuthenticatorTransportInternal,
		HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
	}})
	if err != nil {
		b.t.Fatalf("WebAuthn.addVirtualAuthenticator: %v", err)
	}
	return string(res.AuthenticatorID)
}

// Credentials returns the number of credentials the virtual authenticator holds.
func (b *Browser) Credentials(authenticatorID string) int {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	res, err := chromedp.Call(ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: webauthn.AuthenticatorID(authenticatorID)})
	if err != nil {
		b.t.Fatalf("WebAuthn.getCredentials: %v", err)
	}
	return len(res.Credentials)
}
