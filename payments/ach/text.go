package ach

import (
	"errors"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// IndividualNameLen is the width of an entry's individual name field
// (Entry Detail positions 55–76).
const IndividualNameLen = 22

// nameLettersMin is how many Latin letters a name must keep in the ACH
// character set: fewer cannot identify the account holder to the bank.
const nameLettersMin = 2

// ErrName is returned by Name for a name that keeps fewer than two
// letters once written in the ACH character set (a name in a non-Latin
// script, or only digits and punctuation).
var ErrName = errors.New("the name keeps fewer than two Latin letters (A–Z) in the ACH character set")

// letters are the Latin letters Unicode decomposition does not reduce to
// A–Z and an accent, written as their usual ASCII transliteration (as in
// ICAO Doc 9303's table for machine-readable names, where it has one),
// and punctuation people type in names in its ASCII form. The upper- and
// lower-case forms are listed: the output is upper-cased afterwards.
var letters = map[rune]string{
	'Æ': "AE", 'æ': "AE", 'Œ': "OE", 'œ': "OE", 'Ø': "O", 'ø': "O",
	'Ł': "L", 'ł': "L", 'Đ': "D", 'đ': "D", 'Ð': "D", 'ð': "D",
	'Þ': "TH", 'þ': "TH", 'ß': "SS", 'ẞ': "SS", 'Ħ': "H", 'ħ': "H",
	'ı': "I", 'Ŧ': "T", 'ŧ': "T", 'Ŋ': "N", 'ŋ': "N", 'ĸ': "Q",
	'Ə': "A", 'ə': "A", 'Ɖ': "D", 'ɖ': "D", 'Ɗ': "D", 'ɗ': "D",
	'Ɓ': "B", 'ɓ': "B", 'Ƙ': "K", 'ƙ': "K", 'Ƒ': "F", 'ƒ': "F",
	'Ɛ': "E", 'ɛ': "E", 'Ɔ': "O", 'ɔ': "O", 'Ʒ': "Z", 'ʒ': "Z",
	'ſ': "S", 'Ŀ': "L", 'ŀ': "L",
	// Punctuation: apostrophes and the ʻokina, quotes, dashes; a middle
	// dot (Catalan l·l) disappears.
	'‘': "'", '’': "'", 'ʼ': "'", 'ʻ': "'", '′': "'",
	'“': `"`, '”': `"`, '‐': "-", '‑': "-", '‒': "-", '–': "-", '—': "-",
	'·': "",
}

// Clean returns s as the ACH format carries text (Nacha Operating Rules,
// Appendix Three: alphameric fields hold printable ASCII, letters in
// upper case): letters upper-cased, accents removed by Unicode
// compatibility decomposition ("Peña" → "PENA", full-width "Ａ" → "A"),
// the Latin letters that do not decompose transliterated (Ł → L, ß → SS,
// Ø → O, Æ → AE, Œ → OE, Đ → D, Þ → TH, …), and anything else (another
// script, a control character) written as a blank. Every byte of the
// result is printable ASCII without lower-case letters; it may be longer
// than s (ß → SS), so a field truncates it.
func Clean(s string) string {
	ascii := true
	for i := range len(s) {
		if s[i] < 0x20 || s[i] > 0x7e {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToUpper(s)
	}
	var out strings.Builder
	out.Grow(len(s))
	for _, r := range norm.NFKD.String(s) {
		switch {
		case r >= 'a' && r <= 'z':
			out.WriteByte(byte(r) - 'a' + 'A')
		case r >= 0x20 && r <= 0x7e:
			out.WriteByte(byte(r))
		case unicode.Is(unicode.Mn, r):
			// An accent or other combining mark, split off its letter.
		default:
			if t, ok := letters[r]; ok {
				out.WriteString(t)
			} else {
				out.WriteByte(' ')
			}
		}
	}
	return out.String()
}

// Name returns an account holder's name as an entry carries it: Clean,
// runs of blanks made one, trimmed, and cut to the 22 characters of the
// individual name field. It returns ErrName when what is left has fewer
// than two letters A–Z: the bank could not tell whose account it is,
// and a blank name makes the whole file invalid.
func Name(s string) (string, error) {
	t := strings.Join(strings.Fields(Clean(s)), " ")
	if len(t) > IndividualNameLen {
		t = strings.TrimRight(t[:IndividualNameLen], " ")
	}
	n := 0
	for i := range len(t) {
		if t[i] >= 'A' && t[i] <= 'Z' {
			n++
		}
	}
	if n < nameLettersMin {
		return t, ErrName
	}
	return t, nil
}
