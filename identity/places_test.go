package identity

import (
	"strings"
	"testing"
)

func TestPlaces(t *testing.T) {
	p, err := LoadPlaces(strings.NewReader("# cidr,place\n203.0.113.0/24,United States\n203.0.113.128/25,Canada\n2001:db8::/32,Portugal\n\n"))
	if err != nil {
		t.Fatal(err)
	}
	for ip, want := range map[string]string{
		"203.0.113.5": "United States", "203.0.113.200": "Canada", "::ffff:203.0.113.5": "United States",
		"2001:db8:1::1": "Portugal", "198.51.100.1": "", "127.0.0.1": "Local network", "10.1.2.3": "Local network", "nonsense": "",
	} {
		if got := p.Locate(ip); got != want {
			t.Errorf("Locate(%s) = %q, want %q", ip, got, want)
		}
	}
	if got := (*Places)(nil).Locate("192.168.1.1"); got != "Local network" {
		t.Errorf("nil table: %q", got)
	}
	if _, err := LoadPlaces(strings.NewReader("not a cidr,Somewhere\n")); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("bad line: %v", err)
	}
}
