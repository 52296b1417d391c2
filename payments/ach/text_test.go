package ach_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"carfin/payments/ach"
)

// TestClean: letters are transliterated into the ACH character set, not
// blanked.
func TestClean(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Ada Quiñones", "ADA QUINONES"},
		{"Łukasz Żółć", "LUKASZ ZOLC"},
		{"Günther Strauß", "GUNTHER STRAUSS"},
		{"STRAẞE", "STRASSE"},
		{"Søren Kierkegaard", "SOREN KIERKEGAARD"},
		{"Æsa Œdipe", "AESA OEDIPE"},
		{"Đorđe Balašević", "DORDE BALASEVIC"},
		{"Þórunn Sigurðardóttir", "THORUNN SIGURDARDOTTIR"},
		{"Ħanna Borġ", "HANNA BORG"},
		{"Nguyễn Thị Minh Khai", "NGUYEN THI MINH KHAI"},
		{"Işıl Yılmaz", "ISIL YILMAZ"},
		{"Ștefan Țiriac", "STEFAN TIRIAC"},
		{"Paral·lel", "PARALLEL"},
		{"O’Brien – Smith", "O'BRIEN - SMITH"},
		{"Ｆｕｌｌ Ｗｉｄｔｈ", "FULL WIDTH"},
		{"ﬁnn", "FINN"},
		{"e\u0301 combining", "E COMBINING"},
		{"李小龍", "   "},
		{"Anna Петрова", "ANNA        "},
		{"tab\there\x7f", "TAB HERE "},
		{"plain ASCII 123 &-'.,", "PLAIN ASCII 123 &-'.,"},
	} {
		if got := ach.Clean(tc.in); got != tc.want {
			t.Errorf("Clean(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestName: an account holder's name as the entry carries it, or
// ErrName when fewer than two letters would be left.
func TestName(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		err      error
	}{
		{"Łukasz Żółć", "LUKASZ ZOLC", nil},
		{"  Ada   Quiñones ", "ADA QUINONES", nil},
		{"Anna Петрова", "ANNA", nil},
		{"山田 太郎 Taro", "TARO", nil},
		{"Wu", "WU", nil},
		{"Günther Maximilian Strauß", "GUNTHER MAXIMILIAN STR", nil},
		{"Mary Elizabeth Strauss-Smith", "MARY ELIZABETH STRAUSS", nil},
		{"李小龍", "", ach.ErrName},
		{"Иван Петров", "", ach.ErrName},
		{"Ελένη", "", ach.ErrName},
		{"محمد", "", ach.ErrName},
		{"X", "X", ach.ErrName},
		{"李 X", "X", ach.ErrName},
		{"12345", "12345", ach.ErrName},
		{"", "", ach.ErrName},
		{"  \t ", "", ach.ErrName},
	} {
		got, err := ach.Name(tc.in)
		if got != tc.want || !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
			t.Errorf("Name(%q) = %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// allowed reports whether s holds only what an ACH alphameric field
// carries: printable ASCII without lower-case letters.
func allowed(s string) bool {
	for i := range len(s) {
		if s[i] < 0x20 || s[i] > 0x7e || (s[i] >= 'a' && s[i] <= 'z') {
			return false
		}
	}
	return true
}

// FuzzName: whatever is typed, Clean and Name give only characters the
// ACH character set has; Name never gives more than the 22 characters of
// the field, nor blanks at its ends or two together, and refuses exactly
// what keeps fewer than two letters. Both are idempotent.
func FuzzName(f *testing.F) {
	for _, s := range []string{"Łukasz Żółć", "Þórunn", "李小龍", "Straße", "ǅ ǈ ǋ", "\xff\xfe", "a\u0301\u0301", "ß", strings.Repeat("ß", 30),
		"Ｆｕｌｌ", "½ ¼", "№ ™", "ⅷ", "\u00a0\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := ach.Clean(s)
		if !allowed(c) || ach.Clean(c) != c {
			t.Fatalf("Clean(%q) = %q", s, c)
		}
		if utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return r >= 0x80 }) && len(c) != len(s) {
			t.Fatalf("Clean(%q) = %q changed the length of ASCII", s, c)
		}
		n, err := ach.Name(s)
		if !allowed(n) || len(n) > ach.IndividualNameLen || strings.TrimSpace(n) != n || strings.Contains(n, "  ") {
			t.Fatalf("Name(%q) = %q", s, n)
		}
		letters := strings.Count(strings.Map(func(r rune) rune {
			if r >= 'A' && r <= 'Z' {
				return 'A'
			}
			return -1
		}, n), "A")
		if (err == nil) != (letters >= 2) || (err != nil && !errors.Is(err, ach.ErrName)) {
			t.Fatalf("Name(%q) = %q, %v with %d letters", s, n, err, letters)
		}
		if again, err2 := ach.Name(n); again != n || (err == nil) != (err2 == nil) {
			t.Fatalf("Name(Name(%q)) = %q, %v; once %q, %v", s, again, err2, n, err)
		}
	})
}
