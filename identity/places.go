package identity

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
)

// placesMax bounds a places table.
const placesMax = 5_000_000

// Places maps IP ranges to approximate places (a country name or code),
// for the sessions page and new-country alerts. carfin ships no GeoIP
// data: a lender loads its own (CSV "cidr,place" lines, e.g. exported from
// a GeoIP database), and without it every public address is "".
type Places struct {
	prefixes []netip.Prefix
	places   []string
}

// LoadPlaces reads "cidr,place" lines; blank lines and lines starting
// with # are skipped. Returns an error naming the first bad line.
func LoadPlaces(r io.Reader) (*Places, error) {
	p := &Places{}
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cidr, place, ok := strings.Cut(line, ",")
		pre, err := netip.ParsePrefix(strings.TrimSpace(cidr))
		if !ok || err != nil {
			return nil, fmt.Errorf("places line %d: want cidr,place", n)
		}
		if len(p.prefixes) >= placesMax {
			return nil, fmt.Errorf("places: more than %d ranges", placesMax)
		}
		p.prefixes = append(p.prefixes, pre.Masked())
		p.places = append(p.places, strings.TrimSpace(place))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("places: %w", err)
	}
	// Longest prefix first, so the most specific range wins.
	idx := make([]int, len(p.prefixes))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return p.prefixes[b].Bits() - p.prefixes[a].Bits() })
	pre, pl := make([]netip.Prefix, len(idx)), make([]string, len(idx))
	for i, j := range idx {
		pre[i], pl[i] = p.prefixes[j], p.places[j]
	}
	p.prefixes, p.places = pre, pl
	return p, nil
}

// Locate returns the place of ip: "Local network" for loopback and
// private addresses, the table's place when a range holds it, else "".
func (p *Places) Locate(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	a = a.Unmap()
	if p != nil {
		for i, pre := range p.prefixes {
			if pre.Contains(a) {
				return p.places[i]
			}
		}
	}
	if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() {
		return "Local network"
	}
	return ""
}
