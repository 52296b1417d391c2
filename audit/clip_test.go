package audit

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestClipKeepsText: long fields are cut at a character boundary, never
// inside a UTF-8 sequence (the details would no longer be text).
func TestClipKeepsText(t *testing.T) {
	for pad := range 4 {
		long := strings.Repeat("a", pad) + strings.Repeat("€", fieldBytesMax) // 3 bytes each
		ev := clip(Event{Actor: long, Subject: long, Details: map[string]string{"memo": long}})
		for _, s := range []string{ev.Actor, ev.Subject, ev.Details["memo"]} {
			if !utf8.ValidString(s) || len(s) > fieldBytesMax || len(s) < fieldBytesMax-3 {
				t.Errorf("pad %d: clipped to %d bytes, valid UTF-8 %v", pad, len(s), utf8.ValidString(s))
			}
		}
	}
	if ev := clip(Event{Actor: "login:1"}); ev.Actor != "login:1" {
		t.Errorf("short field changed: %q", ev.Actor)
	}
}
