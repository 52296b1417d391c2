package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// ownershipTests are the tests that ask for another customer's
// resources route by route and expect exactly a missing one's answer.
var ownershipTests = []string{"accountAuthorization", "paymentsAuthorization", "TestPortalSupportAuthorization", "TestSecurityRoutesAuthorization"}

var (
	routeRE = regexp.MustCompile(`\.Handle\("(GET|POST) (/[^"]*\{[^"]*)"`)
	paramRE = regexp.MustCompile(`\{[^}]*\}`)
)

// TestEveryOwnedRouteHasAnOwnershipCase: every route whose path names a
// resource (a {parameter}) appears in one of the ownershipTests' tables,
// so that a new route cannot ship without its "another customer's id is
// not found" case. A route appears when one line of those tests holds its
// fixed parts in order (and its method, when the line names one).
func TestEveryOwnedRouteHasAnOwnershipCase(t *testing.T) {
	routes, err := filepath.Glob("../../web/routes*.go")
	if err != nil || len(routes) == 0 {
		t.Fatalf("route files: %v %v", routes, err)
	}
	var patterns [][2]string
	for _, f := range routes {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range routeRE.FindAllStringSubmatch(string(src), -1) {
			if m[2] != "/{$}" {
				patterns = append(patterns, [2]string{m[1], m[2]})
			}
		}
	}
	if len(patterns) < 30 {
		t.Fatalf("found only %d routes with parameters: is routeRE still right?", len(patterns))
	}
	var lines []string
	tests, _ := filepath.Glob("*_test.go")
	for _, f := range tests {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range ownershipTests {
			i := strings.Index(string(src), "\nfunc "+name+"(")
			if i < 0 {
				continue
			}
			body := string(src[i+1:])
			if j := strings.Index(body, "\n}\n"); j > 0 {
				body = body[:j]
			}
			lines = append(lines, strings.Split(body, "\n")...)
		}
	}
	if len(lines) < 100 {
		t.Fatalf("found %d lines of ownership tests: are %v still there?", len(lines), ownershipTests)
	}
	for _, p := range patterns {
		parts := paramRE.Split(p[1], -1)
		found := false
		for _, l := range lines {
			if names := strings.Contains(l, `"GET"`) || strings.Contains(l, `"POST"`); names && !strings.Contains(l, `"`+p[0]+`"`) {
				continue
			}
			rest, ok := l, true
			for _, part := range parts {
				k := strings.Index(rest, part)
				if k < 0 {
					ok = false
					break
				}
				rest = rest[k+len(part):]
			}
			if ok {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("%s %s has no case in %v", p[0], p[1], ownershipTests)
		}
	}
}
