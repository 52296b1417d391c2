package identity

import "testing"

func TestNormalizePhone(t *testing.T) {
	for in, want := range map[string]string{
		"(555) 201-0123": "+15552010123", "555.201.0123": "+15552010123", "+1 555 201 0123": "+15552010123", "15552010123": "+15552010123",
		"5552010123": "+15552010123", "": "", "201-0123": "", "(055) 201-0123": "", "555-101-0123": "", "911-201-0123": "",
		"+44 20 7946 0958": "", "555 201 0123 x9": "", "+1+5552010123": "", "٥٥٥٢٠١٠١٢٣": "",
	} {
		got, err := NormalizePhone(in)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestNormalizeContactEmail(t *testing.T) {
	for in, want := range map[string]string{
		" Ann.Lee@Example.COM ": "ann.lee@example.com", "a+tag@sub.example.org": "a+tag@sub.example.org",
		"a@b": "", "a@.example": "", "a@example.": "", "Ann <ann@example.com>": "", "ann@example.com, bob@example.com": "",
		"ann(comment)@example.com": "", "@example.com": "", "ann@@example.com": "", "": "",
	} {
		got, err := NormalizeContactEmail(in)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("NormalizeContactEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
