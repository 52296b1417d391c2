// Package webcore is what carfin's two web realms share: the customer
// portal (package web) and the staff console (package console). Each
// realm keeps its own routes, pages and sessions; this package holds the
// parts that must be the same in both, so that a fix to one is a fix to
// the other:
//
//   - the lender's Brand (name, colours checked for contrast, logo,
//     monogram favicon) and its theme stylesheet;
//   - the one stylesheet and script (static/), and the icons (icons/);
//   - the middleware every request passes: panic recovery, the request
//     log, security headers with a per-request CSP nonce, gzip only for
//     same-origin requests (BREACH), the client address behind trusted
//     proxies, body limits, one origin for loopback, language
//     negotiation;
//   - the message catalogs with CLDR plurals, and SafeNext for "next"
//     links.
//
// It never holds a page or a session: those belong to a realm.
package webcore
