package browsertest

import (
	"context"
	"net/http"
	"strings"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// Cookies returns the cookies the browser would send to the site.
func (b *Browser) Cookies() []*http.Cookie {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{b.base + "/"}})
	if err != nil {
		b.t.Fatalf("Network.getCookies: %v", err)
	}
	out := make([]*http.Cookie, 0, len(res.Cookies))
	for _, c := range res.Cookies {
		out = append(out, &http.Cookie{Name: c.Name, Value: c.Value, Path: c.Path, Domain: c.Domain, Secure: c.Secure, HttpOnly: c.HTTPOnly})
	}
	return out
}

// CookieHeader returns the browser's cookies for the site as the value of
// a Cookie request header, so that another tool (curl, Lighthouse's
// --extra-headers) can go on in the same session.
func (b *Browser) CookieHeader() string {
	b.t.Helper()
	var parts []string
	for _, c := range b.Cookies() {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; ")
}

// SetCookie sets a cookie for the whole site, as a response of the site
// would (path /, host-only).
func (b *Browser) SetCookie(name, value string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: name, Value: value, URL: b.base + "/"}); err != nil {
		b.t.Fatalf("Network.setCookie %s: %v", name, err)
	}
}

// ClearCookies deletes every cookie of the browser: the next page is a
// first visit, signed out.
func (b *Browser) ClearCookies() {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
		b.t.Fatalf("Network.clearBrowserCookies: %v", err)
	}
}
