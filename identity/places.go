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
//
// Lookup is longest-prefix match: one map lookup per prefix length in use
// (at most 33 for IPv4, 129 for IPv6), whatever the table's size.
type Places struct {
	byPrefix map[netip.Prefix]string
	bits4    []int // prefix lengths in use, longest first
	bits6    []int
}

// LoadPlaces reads "cidr,place" lines; blank lines and lines starting
// with # are skipped. Returns an error naming the first bad line.
func LoadPlaces(r io.Reader) (*Places, error) {
	p := &Places{byPrefix: map[netip.Prefix]string{}}
	seen4, seen6 := map[int]bool{}, map[int]bool{}
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
		if len(p.byPrefix) >= placesMax {
			return nil, fmt.Errorf("places: more than %d ranges", placesMax)
		}
		pre = pre.Masked()
		p.byPrefix[pre] = strings.TrimSpace(place)
		if pre.Addr().Is4() {
			seen4[pre.Bits()] = true
		} else {
			seen6[pre.Bits()] = true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("places: %w", err)
	}
	for b := range seen4 {
		p.bits4 = append(p.bits4, b)
	}
	for b := range seen6 {
		p.bits6 = append(p.bits6, b)
	}
	slices.SortFunc(p.bits4, func(a, b int) int { return b - a })
	slices.SortFunc(p.bits6, func(a, b int) int { return b - a })
	return p, nil
}

// Locate returns the place of ip: the most specific range's place when
// the table holds it, else "Local network" for loopback and private
// addresses, else "".
func (p *Places) Locate(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	a = a.Unmap()
	if p != nil {
		bits := p.bits6
		if a.Is4() {
			bits = p.bits4
		}
		for _, b := range bits {
			if pre, err := a.Prefix(b); err == nil {
				if place, ok := p.byPrefix[pre]; ok {
					return place
				}
			}
		}
	}
	if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() {
		return "Local network"
	}
	return ""
}
