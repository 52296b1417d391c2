// Package cp1252 turns text into Windows-1252, the code page of the core
// PDF fonts (Helvetica and friends), for receipts, letters and notices.
//
// fpdf's own translator parses its code-page table with fmt.Sscanf each
// time one is made, and the function it returns writes into one shared
// buffer, so it must not be shared between goroutines. Text builds the
// table once and is safe for concurrent use.
package cp1252

import (
	"strings"
	"sync"

	"golang.org/x/text/encoding/charmap"
)

// table maps each rune above ASCII that Windows-1252 has to its byte.
var table = sync.OnceValue(func() map[rune]byte {
	m := make(map[rune]byte, 128)
	for b := 0x80; b <= 0xFF; b++ {
		if r := charmap.Windows1252.DecodeByte(byte(b)); r != '\uFFFD' {
			m[r] = byte(b)
		}
	}
	return m
})

// Text returns s in Windows-1252. A rune the code page lacks becomes '.',
// as fpdf's translator does.
func Text(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	m := table()
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch c, ok := m[r]; {
		case r < 0x80:
			b.WriteByte(byte(r))
		case ok:
			b.WriteByte(c)
		default:
			b.WriteByte('.')
		}
	}
	return b.String()
}
